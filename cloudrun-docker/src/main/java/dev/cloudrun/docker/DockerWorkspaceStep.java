package dev.cloudrun.docker;

import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A run's step in a workspace container: an exec on pipes (a pseudo-terminal only when the step
 * asks for one, through {@link StepSpec#commandWithRedirections()}), within the workspace's limits
 * (memory, pids, CPU quota and the tree's cap are the container's). It is the leader of its own
 * session, so {@link #kill()} ends it and everything it started there. The engine enforces wall
 * time by killing; as a second line, the step kills itself (coreutils {@code timeout -s KILL})
 * twice its wall-time limit plus ten seconds after it started, should the engine be gone.
 *
 * <p>CPU time is not measured per step (the container's cgroup holds the shells too), nor peak
 * memory; an OOM kill is seen from the container cgroup's count when the daemon is on this host.
 */
final class DockerWorkspaceStep implements SandboxProcess {
    private static final String LAUNCH = "echo $$\nexec \"$@\"";

    private final WorkspaceExec exec;
    private final String containerId;
    private final long oomKillsBefore;
    private final AtomicBoolean killed = new AtomicBoolean();
    private final DockerSandboxBackend backend;

    private DockerWorkspaceStep(DockerSandboxBackend backend, WorkspaceExec exec, String containerId, long oomKillsBefore) {
        this.backend = backend;
        this.exec = exec;
        this.containerId = containerId;
        this.oomKillsBefore = oomKillsBefore;
    }

    static DockerWorkspaceStep start(DockerSandboxBackend backend, String containerId, StepSpec step, OutputSink sink,
                                     Consumer<DockerWorkspaceStep> ended) {
        long oomKills = oomKills(containerId);
        Duration limit = step.kind() == StepSpec.Kind.COMPILE ? step.limits().compileTime() : step.limits().wallTime();
        List<String> arguments = new ArrayList<>(List.of("timeout", "-s", "KILL",
                Long.toString(limit.toSeconds() * 2 + 10)));
        arguments.addAll(step.commandWithRedirections());
        WorkspaceExec exec = WorkspaceExec.start(backend, containerId, LAUNCH, arguments,
                DockerWorkspace.environment(step.env()), false, sink);
        DockerWorkspaceStep process = new DockerWorkspaceStep(backend, exec, containerId, oomKills);
        exec.whenEnded(() -> ended.accept(process));
        return process;
    }

    private static long oomKills(String containerId) {
        return ContainerCgroup.find(containerId).map(ContainerCgroup::oomKills).orElse(-1L);
    }

    @Override
    public OutputStream stdin() {
        return exec.stdin();
    }

    @Override
    public void kill() {
        if (killed.compareAndSet(false, true) && !exec.ended()) {
            try {
                backend.ioThreads().execute(() -> exec.signalSession("KILL"));
            } catch (RuntimeException e) {
                exec.closeStreams();
            }
        }
    }

    @Override
    public Duration cpuTimeSoFar() {
        return Duration.ZERO;
    }

    @Override
    public Optional<StepOutcome> await(Duration timeout) throws InterruptedException {
        OptionalInt code = exec.await(timeout);
        if (!exec.ended()) {
            return Optional.empty();
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - exec.startedNanos());
        long oomKillsAfter = oomKills(containerId);
        boolean oom = oomKillsBefore >= 0 && oomKillsAfter > oomKillsBefore;
        String failure = exec.failure();
        if (code.isEmpty() && failure == null) {
            failure = "the workspace's container ended under the step (closed?)";
        }
        return Optional.of(new StepOutcome(code.orElse(137), wall, Duration.ZERO, 0, oom, failure));
    }

    boolean ended() {
        return exec.ended();
    }

    String execId() {
        return exec.execId();
    }

    void awaitStreamEnd(Duration timeout) {
        try {
            exec.await(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exec.closeStreams();
    }
}
