package dev.cloudrun.server.http;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts, per client address, the WebSockets that are open but have not authenticated yet, so one
 * address cannot hold many sockets open for free. One instance is shared by every endpoint that
 * authenticates this way ({@code /ws/run}, {@code /ws/terminal/...}), so the cap holds for them together.
 */
public final class UnauthenticatedSockets {
    private final int perAddress;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    /** @param perAddress how many unauthenticated sockets one address may hold */
    public UnauthenticatedSockets(int perAddress) {
        this.perAddress = perAddress;
    }

    /**
     * Counts a new socket; it stays counted until {@link #release} (also when this answers false).
     *
     * @param address the client's address
     * @return whether the address is within its cap
     */
    public boolean admit(String address) {
        return counts.computeIfAbsent(address, key -> new AtomicInteger()).incrementAndGet() <= perAddress;
    }

    /**
     * Stops counting one socket of the address (call once per {@link #admit}).
     *
     * @param address the client's address
     */
    public void release(String address) {
        AtomicInteger count = counts.get(address);
        if (count != null && count.decrementAndGet() <= 0) {
            counts.remove(address, count);
        }
    }
}
