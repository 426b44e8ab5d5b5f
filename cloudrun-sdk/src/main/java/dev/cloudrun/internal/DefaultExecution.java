package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run as its caller sees it: its phase, its stdin, cancelling and waiting. While it waits in the
 * engine's queue it is only this record; it gets a thread when the engine gives it a slot
 * ({@link #runInSlot()}), and its steps are then a {@link RunLifecycle}. It completes exactly once,
 * whichever comes first: the end of its steps, a cancel while it waits, or the runner closing.
 */
final class DefaultExecution implements Execution {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultExecution.class);

    private final String id;
    private final String language;
    private final String fairnessKey;
    private final ListenerGate listener;
    private final StdinChannel stdin;
    private final StepSupervisor supervisor;
    private final RunLifecycle lifecycle;
    /** Takes this run out of the engine's queue; true when it was still waiting there. */
    private final Predicate<DefaultExecution> dequeue;
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();

    private volatile Phase phase = Phase.QUEUED;
    private volatile boolean cancelled;
    private boolean finished;

    /**
     * @param id the run's id
     * @param run the validated request
     * @param backend where it runs
     * @param listener the caller's listener
     * @param workspaceBytes the size of its workspace
     * @param packages package settings, caches and the module map
     * @param compileCache the engine's compiled artefacts
     * @param stdinPumps threads that feed steps' stdin
     * @param dequeue takes a run out of the engine's queue
     */
    DefaultExecution(String id, PreparedRun run, SandboxBackend backend, RunListener listener, long workspaceBytes,
                     PackageContext packages, CompileCache compileCache, ExecutorService stdinPumps,
                     Predicate<DefaultExecution> dequeue) {
        this.id = id;
        this.language = run.language().id();
        this.fairnessKey = run.request().fairnessKey().orElse(null);
        this.listener = new ListenerGate(listener, id);
        this.stdin = new StdinChannel(run.request().stdin().orElse(null), run.request().interactiveStdin());
        this.supervisor = new StepSupervisor(this.listener, stdinPumps, () -> cancelled);
        this.lifecycle = new RunLifecycle(id, run, backend, workspaceBytes, this.listener, supervisor, packages, compileCache, stdin,
                () -> cancelled, this::enter);
        this.dequeue = dequeue;
    }

    /** Tells the listener the run is queued; called once, before the run can be given a slot. */
    void announceQueued() {
        listener.phase(Phase.QUEUED);
    }

    /** @return the fairness group the run waits in, or null */
    String fairnessKey() {
        return fairnessKey;
    }

    /** Runs the steps on the calling thread (the engine's slot thread) and completes the run. */
    void runInSlot() {
        RunResult outcome;
        try {
            outcome = lifecycle.execute();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = result(Status.CANCELLED, "cancelled: the runner is shutting down");
        } catch (CloudRunException e) {
            if (cancelled) {
                outcome = result(Status.CANCELLED, "cancelled");
            } else {
                LOG.warn("run {} failed in the sandbox: {}", id, e.getMessage());
                outcome = result(Status.INTERNAL_ERROR, e.getMessage());
            }
        } catch (RuntimeException | Error e) {
            LOG.error("run {} failed unexpectedly", id, e);
            outcome = result(Status.INTERNAL_ERROR, "internal error: " + e);
        }
        finish(outcome);
    }

    /**
     * Completes the run, unless it already is: the first completion wins, later ones do nothing.
     *
     * @param outcome the result
     * @return whether this call completed it
     */
    boolean finish(RunResult outcome) {
        synchronized (this) {
            if (finished) {
                return false;
            }
            finished = true;
        }
        phase = Phase.FINISHED;
        listener.phase(Phase.FINISHED);
        result.complete(outcome);
        return true;
    }

    /**
     * @param status the status
     * @param message why
     * @return a result with no measurements, for a run that did not get to run its program
     */
    RunResult result(Status status, String message) {
        return RunResult.builder(status).language(language).message(message).build();
    }

    private void enter(Phase next) {
        phase = next;
        listener.phase(next);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public void writeStdin(byte[] bytes) {
        stdin.write(bytes);
    }

    @Override
    public void closeStdin() {
        stdin.close();
    }

    @Override
    public void cancel() {
        if (result.isDone()) {
            return;
        }
        cancelled = true;
        if (dequeue.test(this)) {
            finish(result(Status.CANCELLED, "cancelled before it started"));
        } else {
            // It has a slot: its steps see the flag, and the step running now is killed.
            supervisor.killCurrent();
        }
    }

    @Override
    public RunResult await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting for run " + id, e);
        } catch (ExecutionException e) {
            throw new CloudRunException("run " + id + " failed", e.getCause());
        }
    }

    @Override
    public Optional<RunResult> await(Duration timeout) {
        try {
            return Optional.of(result.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting for run " + id, e);
        } catch (ExecutionException e) {
            throw new CloudRunException("run " + id + " failed", e.getCause());
        }
    }

    @Override
    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public void close() {
        cancel();
    }
}
