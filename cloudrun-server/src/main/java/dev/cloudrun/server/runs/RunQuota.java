package dev.cloudrun.server.runs;

import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.RunQuotaSettings;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.KeyedRateLimiter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run quotas: how many runs may go at once and how many may start per minute, per user (lower
 * numbers for guests) and per client address, all its accounts and guests together (so that
 * fresh accounts from one address cannot fill the sandbox's slots). A refused run gets a 429 with
 * {@code Retry-After}.
 */
public final class RunQuota {
    private final RunQuotaSettings config;
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final KeyedRateLimiter userStarts;
    private final KeyedRateLimiter guestStarts;
    private final Map<String, AtomicInteger> activePerAddress = new ConcurrentHashMap<>();
    private final KeyedRateLimiter addressStarts;

    /**
     * Creates the quota.
     *
     * @param config the limits
     */
    public RunQuota(RunQuotaSettings config) {
        this.config = config;
        this.userStarts = new KeyedRateLimiter(config.runsPerMinute(false), Duration.ofMinutes(1));
        this.guestStarts = new KeyedRateLimiter(config.runsPerMinute(true), Duration.ofMinutes(1));
        this.addressStarts = new KeyedRateLimiter(config.addressRunsPerMinute(), Duration.ofMinutes(1));
    }

    /** A run slot; release it exactly once when the run ends (extra calls do nothing). */
    public interface Permit {
        /** Gives the slot back. */
        void release();
    }

    /**
     * Takes a run slot.
     *
     * @param user the caller
     * @param address the caller's client address
     * @return the permit
     * @throws ApiError 429 {@code concurrent_run_limit}, {@code run_rate_limit}, {@code address_concurrent_run_limit}
     *     or {@code address_run_rate_limit}
     */
    public Permit acquire(Principal user, String address) {
        AtomicInteger fromAddress = activePerAddress.computeIfAbsent(address, key -> new AtomicInteger());
        if (fromAddress.incrementAndGet() > config.addressConcurrentRuns()) {
            fromAddress.decrementAndGet();
            throw ApiError.tooManyRequests("address_concurrent_run_limit", "your address already has "
                    + config.addressConcurrentRuns() + " run(s) going; wait for one to finish", Duration.ofSeconds(1));
        }
        Permit permit;
        try {
            permit = acquireForUser(user);
        } catch (RuntimeException e) {
            fromAddress.decrementAndGet();
            throw e;
        }
        Optional<Duration> wait = addressStarts.tryAcquire(address);
        if (wait.isPresent()) {
            fromAddress.decrementAndGet();
            permit.release();
            throw ApiError.tooManyRequests("address_run_rate_limit", "your address started " + config.addressRunsPerMinute()
                    + " runs in the last minute; wait a moment", wait.get());
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                permit.release();
                fromAddress.decrementAndGet();
            }
        };
    }

    private Permit acquireForUser(Principal user) {
        AtomicInteger count = active.computeIfAbsent(user.userId(), id -> new AtomicInteger());
        int limit = config.concurrentRuns(user.guest());
        if (count.incrementAndGet() > limit) {
            count.decrementAndGet();
            throw ApiError.tooManyRequests("concurrent_run_limit",
                    "you already have " + limit + " run(s) going; wait for one to finish", Duration.ofSeconds(1));
        }
        Optional<Duration> wait = (user.guest() ? guestStarts : userStarts).tryAcquire(user.userId());
        if (wait.isPresent()) {
            count.decrementAndGet();
            throw ApiError.tooManyRequests("run_rate_limit", "you started " + config.runsPerMinute(user.guest())
                    + " runs in the last minute; wait a moment", wait.get());
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                count.decrementAndGet();
            }
        };
    }

    /** Forgets idle rate-limit state. */
    public void evictIdle() {
        userStarts.evictIdle();
        guestStarts.evictIdle();
        addressStarts.evictIdle();
        activePerAddress.values().removeIf(count -> count.get() == 0);
    }
}
