package dev.cloudrun.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Statistics;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepOutcome;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One step in its own container. A pump thread streams the attach connection to the sink; a
 * monitor thread samples the container's cgroup while it runs (runc deletes it at exit), waits for
 * the output to end and the container to stop, inspects it and removes it.
 */
final class DockerProcess implements SandboxProcess {
    private static final Logger LOG = LoggerFactory.getLogger(DockerProcess.class);
    private static final long SAMPLE_MILLIS = 25;

    private final DockerSandboxBackend backend;
    private final String containerId;
    private final ContainerAttach attach;
    private final long startNanos;
    /** When the container started, in the daemon's event time (seconds), for {@link #signalledFromOutside}. */
    private final long startEpochSeconds = System.currentTimeMillis() / 1000 - 1;
    /** Counted down by each output stream as it ends: the attach stream, and the FIFOs when there are any. */
    private final CountDownLatch outputDone;
    private final CompletableFuture<StepOutcome> outcome = new CompletableFuture<>();
    private final AtomicLong cpuNanos = new AtomicLong();
    private final AtomicLong peakMemoryBytes = new AtomicLong();
    private final AtomicLong lastKillNanos = new AtomicLong();
    private volatile ContainerCgroup cgroup;
    /** CPU time the cgroup had used before the step began: a pre-started container's launcher. */
    private long cpuBaselineNanos;
    /** The step's own parent cgroup, which outlives the container, or null. */
    private String cgroupParentName;
    private long memoryLimitBytes = Long.MAX_VALUE;
    private Runnable onRemoved = () -> { };
    private volatile boolean oomSeen;
    private volatile String streamFailure;
    private volatile boolean killRequested;
    private final AtomicBoolean statsInFlight = new AtomicBoolean();
    private volatile long lastStatsNanos;
    /** The daemon's answer when the container stops (pre-started containers), or null: inspect is polled. */
    private ContainerWait stopWait;

    private DockerProcess(DockerSandboxBackend backend, String containerId, ContainerAttach attach, long startNanos) {
        this(backend, containerId, attach, startNanos, 1);
    }

    private DockerProcess(DockerSandboxBackend backend, String containerId, ContainerAttach attach, long startNanos,
                          int outputStreams) {
        this.outputDone = new CountDownLatch(outputStreams);
        this.backend = backend;
        this.containerId = containerId;
        this.attach = attach;
        this.startNanos = startNanos;
    }

    /**
     * Starts a created container whose streams are already attached.
     *
     * @return the running step
     */
    static DockerProcess start(DockerSandboxBackend backend, String containerId, ContainerAttach attach,
                               String cgroupParentName, long memoryLimitBytes, String runtime, OutputSink sink,
                               Runnable onRemoved) {
        DockerProcess process = new DockerProcess(backend, containerId, attach, System.nanoTime());
        process.onRemoved = onRemoved;
        process.cgroupParentName = cgroupParentName;
        process.memoryLimitBytes = memoryLimitBytes;
        backend.ioThreads().execute(() -> process.pump(sink));
        backend.withinStartTimeout("start container " + process.shortId(), runtime, () -> {
            backend.client().startContainerCmd(containerId).exec();
            return null;
        });
        if (cgroupParentName != null) {
            process.cgroup = ContainerCgroup.parent(cgroupParentName).orElse(null);
        } else if (backend.endpoint().isLocal() && backend.options().cgroupFiles()) {
            process.cgroup = ContainerCgroup.find(containerId).orElse(null);
        }
        process.sample();
        backend.ioThreads().execute(process::monitor);
        return process;
    }

    /**
     * Runs a step in a pre-started container whose streams are attached: hands it the step (the
     * launcher's frame, or the program for a waiting interpreter). The container's cgroup counters
     * are read from here on (the launcher's or interpreter's own start-up is not the program's CPU time).
     *
     * @param handover what gives the container its step
     * @return the running step
     */
    static DockerProcess launch(DockerSandboxBackend backend, String containerId, ContainerAttach attach, FifoStdio stdio,
                                String cgroupParentName, long memoryLimitBytes, OutputSink sink, Handover handover) {
        java.nio.channels.FileChannel[] readers = null;
        if (stdio != null) {
            try {
                readers = stdio.openReaders();
            } catch (IOException e) {
                attach.close();
                throw new dev.cloudrun.CloudRunException("cannot open the output of container "
                        + containerId.substring(0, Math.min(12, containerId.length())) + ": " + e.getMessage(), e);
            }
        }
        DockerProcess process = new DockerProcess(backend, containerId, attach, System.nanoTime(), readers == null ? 1 : 3);
        process.cgroupParentName = cgroupParentName;
        process.memoryLimitBytes = memoryLimitBytes;
        if (cgroupParentName != null) {
            process.cgroup = ContainerCgroup.parent(cgroupParentName).orElse(null);
        } else if (backend.endpoint().isLocal() && backend.options().cgroupFiles()) {
            process.cgroup = ContainerCgroup.find(containerId).orElse(null);
        }
        if (process.cgroup != null) {
            process.cgroup.resetPeakMemory();
            process.cpuBaselineNanos = Math.max(0, process.cgroup.cpuNanos());
        }
        backend.ioThreads().execute(() -> process.pump(sink));
        if (readers != null) {
            java.nio.channels.FileChannel out = readers[0];
            java.nio.channels.FileChannel err = readers[1];
            backend.ioThreads().execute(() -> process.pumpFifo(out, dev.cloudrun.StreamKind.STDOUT, sink));
            backend.ioThreads().execute(() -> process.pumpFifo(err, dev.cloudrun.StreamKind.STDERR, sink));
        }
        try {
            if (backend.endpoint().isLocal()) {
                try {
                    process.stopWait = ContainerWait.open(backend.endpoint(), containerId);
                } catch (IOException e) {
                    LOG.debug("cannot wait for container {}: inspect is polled ({})", containerId, e.toString());
                }
            }
            handover.handOver(attach);
        } catch (IOException e) {
            attach.close();
            if (process.stopWait != null) {
                process.stopWait.close();
            }
            throw new dev.cloudrun.CloudRunException("cannot send the command to container " + process.shortId()
                    + ": " + e.getMessage(), e);
        }
        process.sample();
        backend.ioThreads().execute(process::monitor);
        return process;
    }

    /** How a pre-started container gets its step: the launcher's frame on stdin, or a program into an interpreter's FIFO. */
    @FunctionalInterface
    interface Handover {
        /**
         * @param attach the container's attached streams
         * @throws IOException if the step cannot be handed over
         */
        void handOver(ContainerAttach attach) throws IOException;
    }

    String containerId() {
        return containerId;
    }

    private void pump(OutputSink sink) {
        try {
            attach.pumpOutput(sink);
        } catch (IOException e) {
            if (!attach.isClosed()) {
                streamFailure = "the output stream from the Docker daemon broke: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            streamFailure = "delivering output failed: " + e;
            LOG.warn("output sink of container {} failed", containerId, e);
        } finally {
            sample();
            outputDone.countDown();
        }
    }

    private void pumpFifo(java.nio.channels.FileChannel reader, dev.cloudrun.StreamKind stream, OutputSink sink) {
        try {
            FifoStdio.pump(reader, stream, sink);
        } catch (IOException e) {
            if (!attach.isClosed()) {
                streamFailure = "reading the container's " + stream.name().toLowerCase(java.util.Locale.ROOT)
                        + " failed: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            streamFailure = "delivering output failed: " + e;
            LOG.warn("output sink of container {} failed", containerId, e);
        } finally {
            outputDone.countDown();
        }
    }

    private void sample() {
        ContainerCgroup group = cgroup;
        if (group == null) {
            sampleFromStatsApi();
            return;
        }
        long cpu = group.cpuNanos();
        if (cpu >= 0) {
            cpuNanos.accumulateAndGet(Math.max(0, cpu - cpuBaselineNanos), Math::max);
        }
        // The parent also carries a little of runc's set-up outside the container's limit.
        long peak = Math.min(group.peakMemoryBytes(), memoryLimitBytes);
        if (peak >= 0) {
            peakMemoryBytes.accumulateAndGet(peak, Math::max);
        }
        if (group.oomKills() > 0) {
            oomSeen = true;
        }
    }

    /**
     * For a daemon on another host: asks the stats API at most once a second, in the background (a
     * one-shot stats call takes about a second). Less precise than the cgroup files, and the last
     * moments of a step are not seen.
     */
    private void sampleFromStatsApi() {
        long now = System.nanoTime();
        // Not once output has ended: the container is stopping, and asking would only log errors.
        if (outcome.isDone() || outputDone.getCount() == 0 || now - lastStatsNanos < TimeUnit.SECONDS.toNanos(1)
                || !statsInFlight.compareAndSet(false, true)) {
            return;
        }
        lastStatsNanos = now;
        try {
            backend.ioThreads().execute(() -> {
                try (ResultCallback.Adapter<Statistics> callback = backend.client().statsCmd(containerId).withNoStream(true)
                        .exec(new ResultCallback.Adapter<>() {
                            @Override
                            public void onNext(Statistics stats) {
                                record(stats);
                            }
                        })) {
                    callback.awaitCompletion(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException | RuntimeException e) {
                    LOG.debug("stats of container {} unavailable: {}", containerId, e.toString());
                } finally {
                    statsInFlight.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            statsInFlight.set(false);
        }
    }

    private void record(Statistics stats) {
        if (stats.getCpuStats() != null && stats.getCpuStats().getCpuUsage() != null
                && stats.getCpuStats().getCpuUsage().getTotalUsage() != null) {
            cpuNanos.accumulateAndGet(stats.getCpuStats().getCpuUsage().getTotalUsage(), Math::max);
        }
        if (stats.getMemoryStats() != null) {
            Long peak = stats.getMemoryStats().getMaxUsage() != null ? stats.getMemoryStats().getMaxUsage()
                    : stats.getMemoryStats().getUsage();
            if (peak != null) {
                peakMemoryBytes.accumulateAndGet(peak, Math::max);
            }
        }
    }

    private void monitor() {
        StepOutcome result;
        try {
            while (!outputDone.await(SAMPLE_MILLIS, TimeUnit.MILLISECONDS)) {
                sample();
            }
            java.util.OptionalInt waited = stopWait == null ? java.util.OptionalInt.empty() : stopWait.exitCode();
            // A clean exit needs no inspect: the daemon neither killed it nor failed it (the cgroup tells of OOM kills).
            InspectContainerResponse.ContainerState state = waited.isPresent() && waited.getAsInt() == 0 ? null : waitStopped();
            long wallNanos = System.nanoTime() - startNanos;
            int exitCode = state == null ? 0 : state.getExitCodeLong() == null ? -1 : state.getExitCodeLong().intValue();
            boolean oom = (state != null && Boolean.TRUE.equals(state.getOOMKilled())) || oomSeen
                    || killedAtTheMemoryLimit(exitCode);
            String failure = streamFailure;
            if (failure == null && state != null && state.getError() != null && !state.getError().isEmpty()) {
                failure = "the container failed: " + state.getError();
            }
            if (failure == null && exitCode > 128 && !killRequested) {
                failure = signalledFromOutside(exitCode - 128);
            }
            result = new StepOutcome(exitCode, Duration.ofNanos(wallNanos), Duration.ofNanos(cpuNanos.get()),
                    peakMemoryBytes.get(), oom, failure);
        } catch (InterruptedException e) {
            result = failed("interrupted while waiting for the container");
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            result = failed("lost the container " + shortId() + ": " + describe(e) + " (was the Docker daemon restarted?)");
        }
        attach.close();
        if (cgroupParentName != null) {
            // The parent's counters are hierarchical and survive the container, which has stopped: the final figures.
            sample();
            if (result.failure() == null) {
                // The parent's OOM counter may show the kill only now, after inspect said OOMKilled false.
                result = new StepOutcome(result.exitCode(), result.wallTime(), Duration.ofNanos(cpuNanos.get()),
                        peakMemoryBytes.get(), result.oomKilled() || oomSeen || killedAtTheMemoryLimit(result.exitCode()),
                        null);
            }
        }
        // Nothing of the step runs any more: the result goes out first, the removal follows on this thread (a
        // sandbox closed meanwhile waits for a volume still in use, and the leak check for this thread).
        outcome.complete(result);
        if (stopWait != null) {
            // Answered already, unless the wait above ended another way (interrupted, the daemon lost).
            stopWait.close();
        }
        backend.janitor().removeContainer(containerId);
        onRemoved.run();
        if (cgroupParentName != null) {
            backend.janitor().removeCgroupParent(cgroupParentName);
        }
    }

    /**
     * Polls inspect until the container is no longer running, sampling its cgroup meanwhile. Output
     * ends when the container stops, unless the program closed stdout and stderr itself; then the
     * engine's wall-time limit ends the wait through {@link #kill()}.
     */
    private InspectContainerResponse.ContainerState waitStopped() throws InterruptedException {
        long pause = 2;
        while (true) {
            InspectContainerResponse.ContainerState state = backend.client().inspectContainerCmd(containerId).exec().getState();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                return state;
            }
            sample();
            Thread.sleep(pause);
            pause = Math.min(100, pause * 2);
        }
    }

    /**
     * For a container that died of a signal CloudRun did not send: whether the daemon sent it (a
     * {@code kill} event: the daemon stopping or restarting, or {@code docker stop}), so that the run
     * ends INTERNAL_ERROR instead of blaming the program. A program that signals itself makes no event.
     *
     * @return the failure to report, or null when the program's own signal ended it
     */
    private String signalledFromOutside(int signal) {
        long since = startEpochSeconds;
        long until = System.currentTimeMillis() / 1000 + 1;
        AtomicBoolean killEvent = new AtomicBoolean();
        try {
            backend.client().eventsCmd().withContainerFilter(containerId).withEventFilter("kill")
                    .withSince(Long.toString(since)).withUntil(Long.toString(until))
                    .exec(new ResultCallback.Adapter<com.github.dockerjava.api.model.Event>() {
                        @Override
                        public void onNext(com.github.dockerjava.api.model.Event event) {
                            killEvent.set(true);
                        }
                    }).awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            return "the container was stopped by signal " + signal + " and the Docker daemon stopped answering ("
                    + describe(e) + "): was the Docker daemon restarted?";
        }
        return killEvent.get() ? "the Docker daemon stopped the container (signal " + signal
                + "): was the Docker daemon stopped or restarted?" : null;
    }

    /**
     * A SIGKILL that CloudRun did not send, with memory at the limit, is the kernel's OOM killer even
     * when inspect's OOMKilled flag missed it (seen under load: 4 in 83 memory-limit runs of the soak).
     */
    private boolean killedAtTheMemoryLimit(int exitCode) {
        return exitCode == 128 + 9 && !killRequested && memoryLimitBytes != Long.MAX_VALUE
                && peakMemoryBytes.get() >= memoryLimitBytes;
    }

    private StepOutcome failed(String message) {
        return new StepOutcome(-1, Duration.ofNanos(System.nanoTime() - startNanos), Duration.ofNanos(cpuNanos.get()),
                peakMemoryBytes.get(), false, message);
    }

    private String shortId() {
        return containerId.substring(0, Math.min(12, containerId.length()));
    }

    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return root == e ? message : message + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }

    @Override
    public OutputStream stdin() {
        return attach.stdin();
    }

    @Override
    public void kill() {
        killRequested = true;
        long now = System.nanoTime();
        long last = lastKillNanos.get();
        if (outcome.isDone() || (last != 0 && now - last < TimeUnit.MILLISECONDS.toNanos(500))
                || !lastKillNanos.compareAndSet(last, now)) {
            return;
        }
        // Never block the caller (it may be the output pump, when the output limit is hit).
        backend.ioThreads().execute(this::killNow);
    }

    void killNow() {
        try {
            backend.client().killContainerCmd(containerId).withSignal("KILL").exec();
        } catch (NotFoundException | ConflictException e) {
            // Gone or not running any more: nothing to kill.
        } catch (RuntimeException e) {
            LOG.debug("killing container {} failed: {}", containerId, e.toString());
        }
    }

    @Override
    public Duration cpuTimeSoFar() {
        sample();
        return Duration.ofNanos(cpuNanos.get());
    }

    @Override
    public Optional<StepOutcome> await(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(outcome.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Kills the container and waits (bounded) until it is removed. */
    void destroy(Duration timeout) {
        if (!outcome.isDone()) {
            killNow();
            attach.close();
            try {
                outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("container {} did not stop within {}", containerId, timeout);
            }
        }
    }

    boolean finished() {
        return outcome.isDone();
    }
}
