package dev.cloudrun.server.mcp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Notices that the client of an in-flight {@code tools/call} closed its connection, and says so, so
 * that its run is cancelled instead of going on silently to its limits. Jetty learns of a closed
 * connection only when it next writes to it, and a silent run writes nothing: every
 * {@link #interval} each watched stream gets an SSE comment line ({@link EventStreamWriter#keepAlive()});
 * the write after the close fails. A write blocks while the client's socket buffer is full, so each
 * runs on a thread of its own, one at most per stream at a time: the threads are bounded by the
 * calls in flight, which the run quota bounds.
 */
final class StreamWatch implements AutoCloseable {
    private final Duration interval;
    private final Map<Watched, Boolean> streams = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;
    private final ExecutorService writers;

    /** @param interval how often each watched stream is written to */
    StreamWatch(Duration interval) {
        this.interval = interval;
        this.ticker = Executors.newSingleThreadScheduledExecutor(daemons("cloudrun-mcp-stream-watch"));
        this.writers = Executors.newCachedThreadPool(daemons("cloudrun-mcp-keepalive"));
        ticker.scheduleWithFixedDelay(this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return how often each watched stream is written to */
    Duration interval() {
        return interval;
    }

    /**
     * Watches a stream until the returned handle is closed.
     *
     * @param writer the stream's writer
     * @param onGone called once, on a watch thread, when a write to the stream failed
     * @return closes to stop watching (when the call has been answered)
     */
    Watched watch(EventStreamWriter writer, Runnable onGone) {
        Watched watched = new Watched(writer, onGone);
        streams.put(watched, Boolean.TRUE);
        return watched;
    }

    private void tick() {
        for (Watched watched : streams.keySet()) {
            if (watched.writing.compareAndSet(false, true)) {
                try {
                    writers.execute(watched::check);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return; // Closing.
                }
            }
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        writers.shutdownNow();
        streams.clear();
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** One watched stream. */
    final class Watched implements AutoCloseable {
        private final EventStreamWriter writer;
        private final Runnable onGone;
        private final AtomicBoolean writing = new AtomicBoolean();

        private Watched(EventStreamWriter writer, Runnable onGone) {
            this.writer = writer;
            this.onGone = onGone;
        }

        private void check() {
            try {
                if (streams.containsKey(this) && !writer.keepAlive() && streams.remove(this) != null) {
                    onGone.run();
                }
            } catch (RuntimeException e) {
                // The response ended under the write (the call was answered meanwhile): nothing to watch.
                streams.remove(this);
            } finally {
                writing.set(false);
            }
        }

        @Override
        public void close() {
            streams.remove(this);
        }
    }
}
