package dev.cloudrun.server.http;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per key (an IP address, an account, a user id) built with Bucket4j: {@code
 * capacity} events, refilled evenly over {@code period}. Idle keys are forgotten by {@link #evictIdle}.
 */
public final class KeyedRateLimiter {
    private final long capacity;
    private final Duration period;
    private final Map<String, Entry> buckets = new ConcurrentHashMap<>();

    /**
     * Creates the limiter.
     *
     * @param capacity how many events a key may have in one period (at least 1)
     * @param period the period over which the capacity refills
     */
    public KeyedRateLimiter(long capacity, Duration period) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.period = period;
    }

    /**
     * Takes one token for a key.
     *
     * @param key what is limited
     * @return empty when allowed, otherwise how long to wait before the next attempt
     */
    public Optional<Duration> tryAcquire(String key) {
        Entry entry = buckets.computeIfAbsent(key, ignored -> new Entry(Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(capacity, period))
                .build()));
        entry.lastUsedNanos = System.nanoTime();
        ConsumptionProbe probe = entry.bucket.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? Optional.empty() : Optional.of(Duration.ofNanos(probe.getNanosToWaitForRefill()));
    }

    /**
     * Forgets keys not used for longer than a full refill (their bucket would be full again anyway).
     */
    public void evictIdle() {
        long cutoff = System.nanoTime() - period.toNanos();
        buckets.values().removeIf(entry -> entry.lastUsedNanos - cutoff < 0);
    }

    private static final class Entry {
        final Bucket bucket;
        volatile long lastUsedNanos = System.nanoTime();

        Entry(Bucket bucket) {
            this.bucket = bucket;
        }
    }
}
