package dev.cloudrun.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon threads named {@code prefix-N}, so that a leak check can find CloudRun's threads by name. */
public final class NamedThreadFactory implements ThreadFactory {
    /** Every CloudRun thread's name starts with this. */
    public static final String PREFIX = "cloudrun-";

    private final String prefix;
    private final AtomicInteger counter = new AtomicInteger();

    /**
     * @param purpose what the threads do, for example {@code run}
     */
    public NamedThreadFactory(String purpose) {
        this.prefix = PREFIX + purpose + "-";
    }

    @Override
    public Thread newThread(Runnable task) {
        Thread thread = new Thread(task, prefix + counter.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    }
}
