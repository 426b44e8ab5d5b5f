package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import dev.cloudrun.tck.LeakChecks;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The workspace pool against a real daemon: a pooled container serves one workspace only (what
 * one left is absent from the next), the pool refills after a take, a pooled workspace has the
 * limits it asked for as the daemon reports them (and another profile does not get its container),
 * close leaves no container, and a crashed JVM's pooled containers are swept by the next start.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DockerWorkspacePoolTest {
    private static final Language PYTHON = LanguageRegistry.loadDefault().require("python");

    private static DockerSandboxBackend backend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2).pool(false)
                .workspacePoolMaxPerProfile(2));
    }

    private static WorkspaceSandboxSpec spec(long memoryBytes, int maxProcesses, double cpus, long diskBytes) {
        return new WorkspaceSandboxSpec("pool-test-" + UUID.randomUUID(), PYTHON, Map.of(), memoryBytes, maxProcesses,
                cpus, diskBytes, false, List.of());
    }

    private static WorkspaceSandboxSpec usual() {
        return spec(256L << 20, 32, 0.5, 8L << 20);
    }

    /** Opens a workspace once the pool has one ready for its profile, and checks that it was a hit. */
    private static DockerWorkspace openPooled(DockerSandboxBackend backend, WorkspaceSandboxSpec spec) {
        WorkspacePool pool = backend.workspacePool();
        await().atMost(Duration.ofSeconds(30)).until(() -> pool.readyTotal() >= 1);
        long hits = pool.hits();
        DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec);
        assertThat(pool.hits()).as("the workspace took a pooled container").isEqualTo(hits + 1);
        return workspace;
    }

    @Test
    void aPooledContainerServesOneWorkspaceOnlyAndThePoolRefills() throws Exception {
        try (DockerSandboxBackend backend = backend()) {
            WorkspacePool pool = backend.workspacePool();
            String firstId;
            try (DockerWorkspace first = (DockerWorkspace) backend.openWorkspace(usual())) {
                assertThat(pool.misses()).as("nothing is warmed before the first open").isEqualTo(1);
                firstId = first.containerId();
                first.write("left-behind.txt", "from the first".getBytes(StandardCharsets.UTF_8));
                Screen screen = new Screen();
                TerminalProcess terminal = first.openTerminal(80, 24, screen);
                screen.waitFor("$ ");
                type(terminal, "setsid sh -c 'trap \"\" HUP; exec sleep 7771' & echo x > /tmp/left-in-tmp; echo started\r");
                screen.waitFor("started\r\n");
                assertThat(processes(first)).contains("sleep 7771");
                terminal.hangUp();
            }
            assertThatThrownBy(() -> backend.client().inspectContainerCmd(firstId).exec())
                    .as("the first workspace's container is removed at its close").isInstanceOf(NotFoundException.class);

            String secondId;
            try (DockerWorkspace second = openPooled(backend, usual())) {
                secondId = second.containerId();
                assertThat(secondId).isNotEqualTo(firstId);
                assertThat(second.list()).as("an empty tree").isEmpty();
                assertThat(processes(second)).doesNotContain("sleep 7771");
                assertThat(run(second, "ls -A /tmp; echo end")).isEqualTo("end\n");
                second.write("second.txt", "x".getBytes(StandardCharsets.UTF_8));
            }
            // Taken again, then refilled: each take a container never seen before.
            await().atMost(Duration.ofSeconds(30)).until(() -> pool.readyTotal() >= 1);
            long built = pool.built();
            try (DockerWorkspace third = openPooled(backend, usual())) {
                assertThat(third.containerId()).isNotIn(firstId, secondId);
                assertThat(third.list()).isEmpty();
                await().atMost(Duration.ofSeconds(30)).until(() -> pool.readyTotal() >= 1);
                assertThat(pool.built()).isGreaterThan(built);
            }
            LeakChecks.assertNothingLeftBehind(backend::leftovers);
        }
    }

    @Test
    void aPooledWorkspaceHasTheLimitsItAskedForAndAnotherProfileStartsCold() throws Exception {
        try (DockerSandboxBackend backend = backend()) {
            WorkspaceSandboxSpec small = spec(192L << 20, 24, 0.25, 4L << 20);
            backend.openWorkspace(small).close();
            try (DockerWorkspace pooled = openPooled(backend, spec(192L << 20, 24, 0.25, 4L << 20))) {
                InspectContainerResponse inspected = backend.client().inspectContainerCmd(pooled.containerId()).exec();
                HostConfig host = inspected.getHostConfig();
                assertThat(host.getMemory()).isEqualTo(192L << 20);
                assertThat(host.getMemorySwap()).isEqualTo(192L << 20);
                assertThat(host.getNanoCPUs()).isEqualTo(250_000_000L);
                assertThat(host.getPidsLimit()).isEqualTo(24L + 4);
                assertThat(host.getTmpFs().get("/work")).contains("size=" + (4L << 20)).contains("uid=1000");
                assertThat(inspected.getConfig().getUser()).isEqualTo("65534:65534");
                assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
                assertThat(host.getSecurityOpts()).anyMatch(option -> option.startsWith("no-new-privileges"))
                        .anyMatch(option -> option.startsWith("seccomp"));
                assertThat(host.getReadonlyRootfs()).isTrue();
                assertThat(host.getInit()).isTrue();
                assertThat(host.getPrivileged()).isFalse();
                assertThat(host.getNetworkMode()).isEqualTo("none");
                assertThat(inspected.getConfig().getLabels())
                        .containsEntry(DockerSandboxBackend.LABEL_ROLE, DockerWorkspace.ROLE)
                        .containsEntry(DockerSandboxBackend.LABEL_INSTANCE, backend.instanceId());
                // What the kernel enforces, seen from inside.
                assertThat(run(pooled, "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max 2>/dev/null"
                        + " || cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max;"
                        + " df -k /work | tail -1 | tr -s ' ' | cut -d' ' -f2; id -u"))
                        .isEqualTo((192L << 20) + "\n28\n4096\n1000\n");
            }
            long hits = backend.workspacePool().hits();
            try (DockerWorkspace other = (DockerWorkspace) backend.openWorkspace(spec(256L << 20, 24, 0.25, 4L << 20))) {
                assertThat(backend.workspacePool().hits()).as("another memory limit is another profile").isEqualTo(hits);
                assertThat(backend.client().inspectContainerCmd(other.containerId()).exec().getHostConfig().getMemory())
                        .isEqualTo(256L << 20);
            }
        }
    }

    @Test
    void closeLeavesNoContainerOfTheBackendAlsoWhileOneIsBuilding() {
        DockerSandboxBackend backend = backend();
        String instance = backend.instanceId();
        try {
            backend.openWorkspace(usual()).close();
            await().atMost(Duration.ofSeconds(30)).until(() -> backend.workspacePool().readyTotal() >= 1);
            // Another profile's miss: its container is being built (or about to be) when the backend closes.
            backend.openWorkspace(spec(128L << 20, 16, 0.5, 4L << 20)).close();
            assertThat(labelled(backend, instance)).isNotEmpty();
        } finally {
            backend.close();
        }
        try (DockerSandboxBackend probe = DockerSandboxBackend.create(new DockerBackendOptions().pool(false)
                .workspacePoolMaxPerProfile(0))) {
            assertThat(labelled(probe, instance)).isEmpty();
        }
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void aCrashedJvmLeavesPooledWorkspaceContainersThatTheNextStartSweeps() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PoolCrashChild.class.getName(), "workspace").redirectErrorStream(true).start();
        String instance = null;
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = output.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    instance = line.substring("READY ".length()).trim();
                    break;
                }
            }
            assertThat(instance).as("the child's workspace pool became ready").isNotNull();
            // While the child lives, a backend's start-up sweep leaves its containers alone.
            try (DockerSandboxBackend probe = DockerSandboxBackend.create(new DockerBackendOptions().pool(false)
                    .workspacePoolMaxPerProfile(0))) {
                assertThat(labelled(probe, instance)).as("the child's pooled container").isNotEmpty()
                        .allSatisfy(container -> assertThat(container.getLabels())
                                .containsEntry(DockerSandboxBackend.LABEL_ROLE, DockerWorkspace.ROLE)
                                .containsEntry(DockerSandboxBackend.LABEL_RUN, DockerPool.RUN_LABEL));
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        // The next start's sweep.
        DockerSandboxBackend.create(new DockerBackendOptions().pool(false)).close();
        String crashed = instance;
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (DockerSandboxBackend probe = DockerSandboxBackend.create(new DockerBackendOptions().pool(false)
                    .workspacePoolMaxPerProfile(0))) {
                assertThat(labelled(probe, crashed)).isEmpty();
            }
        });
    }

    @Test
    void aMissingImageFailsTheOpenSayingHowToBuildItAndLeavesNothing() {
        Language ghost = Language.builder("ghost").displayName("Ghost").sourceFile("main.ghost")
                .extensions(List.of(".ghost")).runCommand(List.of("ghost", "{file}"))
                .image("cloudrun/ghost-does-not-exist:0").build();
        try (DockerSandboxBackend backend = backend()) {
            WorkspaceSandboxSpec spec = new WorkspaceSandboxSpec("pool-test-" + UUID.randomUUID(), ghost, Map.of(),
                    256L << 20, 32, 0.5, 8L << 20, false, List.of());
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> backend.openWorkspace(spec))
                        .isInstanceOf(dev.cloudrun.BackendUnavailableException.class)
                        .hasMessageContaining("cloudrun/ghost-does-not-exist:0")
                        .hasMessageContaining("images build");
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(labelled(backend, backend.instanceId()))
                    .as("nothing built for a missing image").isEmpty());
            LeakChecks.assertNothingLeftBehind(backend::leftovers);
        }
    }

    private static List<Container> labelled(DockerSandboxBackend backend, String instance) {
        return backend.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_INSTANCE, instance)).exec();
    }

    /** @return the command lines of every process in the workspace, one a line */
    private static String processes(DockerWorkspace workspace) throws Exception {
        return run(workspace, "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done 2>/dev/null");
    }

    private static String run(DockerWorkspace workspace, String script) throws Exception {
        Collected out = new Collected();
        SandboxProcess step = workspace.start(new StepSpec(StepSpec.Kind.RUN, List.of("sh", "-c", script), Map.of(),
                Limits.defaults(), false), out);
        step.stdin().close();
        assertThat(step.await(Duration.ofSeconds(30))).isPresent();
        return out.text();
    }

    private static void type(TerminalProcess terminal, String text) throws Exception {
        terminal.input().write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A terminal's output. */
    private static final class Screen implements TerminalSink {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void output(byte[] data, int offset, int length) {
            bytes.write(data, offset, length);
            notifyAll();
        }

        synchronized void waitFor(String text) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!bytes.toString(StandardCharsets.UTF_8).contains(text)) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the terminal showed:%n%s", text, bytes).isPositive();
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** A step's stdout (stderr too, so that a failure shows). */
    private static final class Collected implements OutputSink {
        private final ByteArrayOutputStream output = new ByteArrayOutputStream();

        @Override
        public synchronized void accept(StreamKind stream, byte[] buffer, int offset, int length) {
            output.write(buffer, offset, length);
        }

        synchronized String text() {
            return output.toString(StandardCharsets.UTF_8);
        }
    }
}
