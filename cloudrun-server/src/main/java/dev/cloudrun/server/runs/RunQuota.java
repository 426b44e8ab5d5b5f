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
 * Per-user run quotas: how many runs may go at once and how many may start per minute, with lower
 * numbers for guests. A refused run gets a 429 with {@code Retry-After}.
 */
public final class RunQuota {
    private final RunQuotaSettings config;
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final KeyedRateLimiter userStarts;
    private final KeyedRateLimiter guestStarts;

    /**
     * Creates the quota.
     *
     * @param config the limits
     */
    public RunQuota(RunQuotaSettings config) {
        this.config = config;
        this.userStarts = new KeyedRateLimiter(config.runsPerMinute(false), Duration.ofMinutes(1));
        this.guestStarts = new KeyedRateLimiter(config.runsPerMinute(true), Duration.ofMinutes(1));
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
     * @return the permit
     * @throws ApiError 429 {@code concurrent_run_limit} or {@code run_rate_limit}
     */
    public Permit acquire(Principal user) {
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
    }
}
