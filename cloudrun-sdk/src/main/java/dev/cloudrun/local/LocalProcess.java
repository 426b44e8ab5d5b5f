package dev.cloudrun.local;

import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepOutcome;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A step running under bubblewrap: reads its pipes, kills through its cgroup, measures at the end. */
final class LocalProcess implements SandboxProcess {
    /** After the process exits, how long its pipes may take to drain before whatever holds them is killed. */
    private static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Process process;
    private final Cgroup cgroup;
    private final ExecutorService io;
    /** When the step began: its start, or for a pre-started one the moment a run took it. */
    private long startNanos;
    private final CountDownLatch readers = new CountDownLatch(2);
    private final Consumer<LocalProcess> onDestroyed;
    private StepOutcome outcome;
    private long exitedNanos;
    private boolean destroyed;

    private LocalProcess(Process process, Cgroup cgroup, ExecutorService io, long startNanos,
                         Consumer<LocalProcess> onDestroyed) {
        this.process = process;
        this.cgroup = cgroup;
        this.io = io;
        this.startNanos = startNanos;
        this.onDestroyed = onDestroyed;
    }

    static LocalProcess start(ProcessBuilder builder, Cgroup cgroup, OutputSink sink, ExecutorService io,
                              Consumer<LocalProcess> onDestroyed) throws IOException {
        LocalProcess local = prestart(builder, cgroup, io, onDestroyed);
        local.attach(sink);
        return local;
    }

    /**
     * Starts a step whose output nobody reads yet: a pre-started runtime, waiting for its main file.
     * Its pipes fill no further than what it writes before {@link #attach} (nothing, for a runtime
     * blocked on reading its program).
     */
    static LocalProcess prestart(ProcessBuilder builder, Cgroup cgroup, ExecutorService io,
                                 Consumer<LocalProcess> onDestroyed) throws IOException {
        long start = System.nanoTime();
        Process process = builder.start();
        return new LocalProcess(process, cgroup, io, start, onDestroyed);
    }

    /**
     * Starts reading the step's output into the sink; the step's wall-clock time counts from now.
     *
     * @param sink where its output goes
     */
    synchronized void attach(OutputSink sink) {
        startNanos = System.nanoTime();
        io.execute(() -> pump(process.getInputStream(), StreamKind.STDOUT, sink));
        io.execute(() -> pump(process.getErrorStream(), StreamKind.STDERR, sink));
    }

    /** @return the process's host pid */
    long pid() {
        return process.pid();
    }

    /** @return whether the process still runs */
    boolean alive() {
        return process.isAlive();
    }

    private void pump(InputStream in, StreamKind stream, OutputSink sink) {
        try (in) {
            sink.drain(stream, in);
        } catch (IOException e) {
            // The pipe was closed by destroy(): the step is over.
        } finally {
            readers.countDown();
        }
    }

    @Override
    public OutputStream stdin() {
        return process.getOutputStream();
    }

    @Override
    public void kill() {
        if (cgroup != null) {
            cgroup.killAll();
        }
        process.destroyForcibly();
    }

    @Override
    public Duration cpuTimeSoFar() {
        return cgroup == null ? Duration.ZERO : cgroup.cpuTime();
    }

    @Override
    public synchronized Optional<StepOutcome> await(Duration timeout) throws InterruptedException {
        if (outcome != null) {
            return Optional.of(outcome);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (exitedNanos == 0) {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
            exitedNanos = System.nanoTime();
        }
        if (!readers.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
            if (System.nanoTime() - exitedNanos < DRAIN_NANOS) {
                return Optional.empty();
            }
            // Something outside the namespace still holds the pipes: kill it and close our ends.
            kill();
            closePipes();
            readers.await(1, TimeUnit.SECONDS);
        }
        int exitCode = process.exitValue();
        Duration wall = Duration.ofNanos(exitedNanos - startNanos);
        outcome = new StepOutcome(exitCode, wall,
                cgroup == null ? Duration.ZERO : cgroup.cpuTime(),
                cgroup == null ? 0 : cgroup.peakMemoryBytes(),
                cgroup != null && cgroup.oomKilled(),
                exitCode == 125 && wall.toMillis() < 1000 && cgroup != null && cgroup.cpuTime().isZero()
                        ? "the sandbox could not join its cgroup" : null);
        destroy();
        return Optional.of(outcome);
    }

    private void closePipes() {
        for (java.io.Closeable stream : new java.io.Closeable[] {process.getInputStream(), process.getErrorStream()}) {
            try {
                stream.close();
            } catch (IOException e) {
                // Already closed.
            }
        }
    }

    /**
     * Kills whatever is left (through the cgroup) and closes the pipes; removing the emptied cgroup
     * is for {@code onDestroyed}, which is called last. Idempotent.
     */
    synchronized void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        kill();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // Broken pipe: the program is gone.
        }
        if (readers.getCount() > 0) {
            closePipes();
        }
        onDestroyed.accept(this);
    }
}
