package dev.cloudrun.server.grading;

import java.time.Duration;

/**
 * How {@link CallbackDispatcher} delivers callbacks.
 *
 * @param retryWindow how long after a submission finished its callback is retried; the last
 *     attempt is made when the window closes, and if it fails too the callback is {@code FAILED}
 * @param firstBackoff the wait after the first failed attempt; each further failure doubles it
 * @param maxBackoff the longest wait between two attempts
 * @param requestTimeout how long one attempt may take, connecting included
 * @param maxInFlight how many deliveries one node makes at the same time
 * @param pollInterval how often a node looks for callbacks that are due
 */
public record CallbackSettings(Duration retryWindow, Duration firstBackoff, Duration maxBackoff, Duration requestTimeout,
                               int maxInFlight, Duration pollInterval) {

    /** Checks the values. */
    public CallbackSettings {
        for (Duration duration : new Duration[] {retryWindow, firstBackoff, maxBackoff, requestTimeout, pollInterval}) {
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("callback durations must be positive, was " + duration);
            }
        }
        if (maxBackoff.compareTo(firstBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is shorter than firstBackoff " + firstBackoff);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
        }
    }

    /** @return retry for 24 hours, waiting 10 s, 20 s, 40 s, ... up to 1 hour; 10 s per attempt, 8 at a time, polled every second */
    public static CallbackSettings defaults() {
        return new CallbackSettings(Duration.ofHours(24), Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofSeconds(10),
                8, Duration.ofSeconds(1));
    }

    /**
     * How long a node holds a callback it claimed before another node may take it over: long
     * enough for the host lookup and the request, so that a live node's attempt is never sent twice,
     * and short enough that a node that died mid-delivery delays the callback by about a minute.
     *
     * @return the claim's length
     */
    public Duration claimTime() {
        return requestTimeout.multipliedBy(2).plusSeconds(30);
    }

    /**
     * @param failedAttempts how many attempts failed so far (at least 1)
     * @return the wait before the next attempt
     */
    public Duration backoff(int failedAttempts) {
        int doublings = Math.min(Math.max(failedAttempts - 1, 0), 40);
        Duration wait = firstBackoff;
        for (int i = 0; i < doublings && wait.compareTo(maxBackoff) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(maxBackoff) > 0 ? maxBackoff : wait;
    }
}
