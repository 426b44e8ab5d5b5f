package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;

/**
 * Watches one run's steps, one at a time: starts each, feeds its stdin, and kills it at its
 * wall-clock deadline, at its CPU time limit (polled from the kernel's count), when it crosses the
 * output cap, or when the run is cancelled. A step that does not end within {@link #KILL_GRACE} of
 * being killed is given up as a broken sandbox.
 */
final class StepSupervisor {
    private static final Duration POLL = Duration.ofMillis(20);
    /** How long a killed step may take to report its end before the run is given up as broken. */
    static final Duration KILL_GRACE = Duration.ofSeconds(15);

    private final ListenerGate listener;
    private final ExecutorService stdinPumps;
    private final BooleanSupplier cancelled;
    private final Object lock = new Object();
    private SandboxProcess current;

    /**
     * @param listener where the steps' output goes live
     * @param stdinPumps threads that copy queued input into a step's stdin
     * @param cancelled whether the run has been cancelled
     */
    StepSupervisor(ListenerGate listener, ExecutorService stdinPumps, BooleanSupplier cancelled) {
        this.listener = listener;
        this.stdinPumps = stdinPumps;
        this.cancelled = cancelled;
    }

    /**
     * Runs a step to its end.
     *
     * @param sandbox where it runs
     * @param spec the step
     * @param remap report all its output as this stream (the compiler's or installer's), or null
     * @param input its stdin
     * @return what happened
     * @throws CloudRunException if the step cannot be started, or does not stop after being killed
     * @throws InterruptedException if the calling thread is interrupted
     */
    StepReport supervise(Sandbox sandbox, StepSpec spec, StreamKind remap, StdinChannel input)
            throws InterruptedException {
        Limits limits = spec.limits();
        OutputCollector output = new OutputCollector(listener, limits.maxOutputBytes(), this::killCurrent, remap);
        SandboxProcess process = sandbox.start(spec, output);
        synchronized (lock) {
            current = process;
        }
        // cancel() sets its flag before it looks at current; this looks at the flag after setting
        // current, so one of the two always kills a step that starts while the run is cancelled.
        if (cancelled.getAsBoolean()) {
            process.kill();
        }
        Future<?> pump = stdinPumps.submit(() -> input.pumpTo(process.stdin()));
        long deadline = System.nanoTime() + limits.wallTime().toNanos();
        long killedAt = 0;
        boolean wasCancelled = false;
        boolean wallTimeout = false;
        boolean cpuTimeout = false;
        StepOutcome outcome;
        try {
            while (true) {
                Optional<StepOutcome> ended = process.await(POLL);
                if (ended.isPresent()) {
                    outcome = ended.get();
                    break;
                }
                long now = System.nanoTime();
                boolean kill = false;
                if (cancelled.getAsBoolean()) {
                    wasCancelled = true;
                    kill = true;
                }
                if (output.limitHit()) {
                    kill = true;
                }
                if (now >= deadline) {
                    wallTimeout = true;
                    kill = true;
                }
                if (process.cpuTimeSoFar().compareTo(limits.cpuTime()) >= 0) {
                    cpuTimeout = true;
                    kill = true;
                }
                if (kill) {
                    if (killedAt == 0) {
                        killedAt = now;
                    }
                    process.kill();
                    if (now - killedAt > KILL_GRACE.toNanos()) {
                        throw new CloudRunException("the sandbox did not stop within " + KILL_GRACE.toSeconds()
                                + " s of being killed");
                    }
                }
            }
        } finally {
            synchronized (lock) {
                current = null;
            }
            pump.cancel(true);
        }
        output.finish();
        return new StepReport(spec.kind(), limits, outcome, output, wasCancelled || cancelled.getAsBoolean(),
                wallTimeout, cpuTimeout, killedAt != 0, spec.stderrToStdout() || spec.terminal() != StepSpec.Terminal.NONE);
    }

    /**
     * @return a supervisor for steps whose output is the host's business only (a tar of files to
     *     carry out): it tells the listener nothing; a cancelled run still stops it
     */
    StepSupervisor silent() {
        return new StepSupervisor(new ListenerGate(dev.cloudrun.RunListener.NONE, "silent"), stdinPumps, cancelled);
    }

    /** Kills the step running now, if any. Safe from any thread. */
    void killCurrent() {
        SandboxProcess process;
        synchronized (lock) {
            process = current;
        }
        if (process != null) {
            process.kill();
        }
    }
}
