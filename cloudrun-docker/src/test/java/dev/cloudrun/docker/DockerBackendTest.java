package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.internal.ProcessOwner;
import dev.cloudrun.internal.SyscallPolicy;
import dev.cloudrun.tck.LeakChecks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** Docker-specific behaviour: hardening, files, stdin EOF, sweeping, and clear errors. Needs a daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerBackendTest {
    private static final long MIB = 1024L * 1024L;

    private DockerSandboxBackend backend;
    private CodeRunner runner;

    @BeforeAll
    void start() {
        backend = DockerSandboxBackend.create(4);
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(4));
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @AfterAll
    void stop() {
        runner.close();
        assertThat(backend.leftovers()).isEmpty();
    }

    @Test
    void aBackendTheDaemonRefusesLeavesNoThreadOrConnectionBehind() {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        for (int attempt = 0; attempt < 5; attempt++) {
            assertThatThrownBy(() -> DockerSandboxBackend.create(new DockerBackendOptions().runtime("no-such-runtime")))
                    .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("no-such-runtime");
        }
        // Polled on this thread: Awaitility's own poller would count as a new thread.
        org.awaitility.Awaitility.await().pollInSameThread().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive)
                        .filteredOn(thread -> !before.contains(thread))
                        .extracting(Thread::getName).as("threads left by refused backends").isEmpty());
    }

    @Test
    void hardeningIsVisibleFromInside() {
        String program = "import os\n"
                + "print('uid', os.getuid(), os.getgid())\n"
                + "status = dict(line.split(':\\t', 1) for line in open('/proc/self/status').read().splitlines() if ':\\t' in line)\n"
                + "print('CapEff', status['CapEff'].strip(), 'CapBnd', status['CapBnd'].strip())\n"
                + "print('NoNewPrivs', status['NoNewPrivs'].strip(), 'Seccomp', status['Seccomp'].strip())\n"
                + "try:\n    open('/probe', 'w')\n    print('root writable')\nexcept OSError as e:\n    print('root denied', e.errno)\n"
                + "print('net', sorted(os.listdir('/sys/class/net')))\n"
                + "print('env', sorted(os.environ))\n"
                + "print('docker.sock', os.path.exists('/var/run/docker.sock') or os.path.exists('/run/docker.sock'))\n"
                + "print('pid1', open('/proc/1/cmdline').read().split('\\0')[0])\n"
                + "st = os.statvfs('/tmp')\nprint('tmp MiB', st.f_blocks * st.f_frsize // (1024 * 1024))\n";
        RunResult result = runner.run(RunRequest.of("python", program).withEnv("ONLY_THIS", "1"));

        assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
        assertThat(result.stdout()).contains("uid 1000 1000\n", "CapEff 0000000000000000 CapBnd 0000000000000000\n",
                "NoNewPrivs 1 Seccomp 2\n", "net ['lo']\n", "docker.sock False\n", "pid1 /sbin/docker-init\n",
                "tmp MiB 64\n");
        assertThat(result.stdout()).containsPattern("root denied (30|13)\n");
        assertThat(result.stdout()).contains("env ['HOME', 'HOSTNAME', 'LANG', 'ONLY_THIS', 'PATH']\n");
    }

    /** Containers of a backend but those its warm pool holds ready (or is building). */
    static List<Container> notPooled(DockerSandboxBackend backend, List<Container> containers) {
        List<String> pooled = backend.pool() == null ? List.of() : backend.pool().heldWorkspaces();
        return containers.stream().filter(container -> java.util.Arrays.stream(container.getNames())
                .noneMatch(name -> pooled.stream().anyMatch(name::contains))).toList();
    }

    /** Once cold, once in a container the warm pool made ahead (the first run's miss makes the pool build one). */
    @Test
    void containerConfigIsHardenedWhileItRuns() throws Exception {
        long hitsBefore = backend.pool().hits();
        hardenedWhileItRuns();
        DockerPool.Key key = new DockerPool.Key("cloudrun/bash:1", 256 * MIB,
                new StepProfile(dev.cloudrun.spi.StepSpec.Kind.RUN, 200 * MIB, 40, 100, 3 * MIB,
                        dev.cloudrun.Limits.defaults().stackBytes()), null);
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().ready(key) >= 1);
        hardenedWhileItRuns();
        assertThat(backend.pool().hits()).as("the second run was served from the pool").isEqualTo(hitsBefore + 1);
    }

    private void hardenedWhileItRuns() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        RunRequest request = RunRequest.of("bash", "echo started; sleep 30")
                .withLimits(limits -> limits.withMemoryBytes(200 * MIB).withMaxProcesses(40).withMaxOpenFiles(100)
                        .withMaxFileSizeBytes(3 * MIB));
        try (Execution execution = runner.start(request, new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                if (text.contains("started")) {
                    started.countDown();
                }
            }
        })) {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            DockerClient client = backend.client();
            // All states: output can arrive before the daemon has marked the container as running.
            List<Container> running = notPooled(backend, client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_INSTANCE, backend.instanceId(),
                            DockerSandboxBackend.LABEL_ROLE, "step")).exec());
            assertThat(running).as("running containers; run: %s", execution.result().getNow(null)).hasSize(1);
            InspectContainerResponse inspect = client.inspectContainerCmd(running.get(0).getId()).exec();
            HostConfig host = inspect.getHostConfig();

            assertThat(inspect.getConfig().getUser()).isEqualTo("1000:1000");
            assertThat(host.getPrivileged()).isFalse();
            assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
            assertThat(host.getCapAdd()).isNullOrEmpty();
            assertThat(host.getSecurityOpts()).containsExactly("no-new-privileges:true",
                    "seccomp=" + SyscallPolicy.dockerProfileJson());
            assertThat(host.getNetworkMode()).isEqualTo("none");
            assertThat(host.getMemory()).isEqualTo(200 * MIB);
            assertThat(host.getMemorySwap()).isEqualTo(200 * MIB);
            assertThat(host.getNanoCPUs()).isPositive();
            assertThat(host.getPidsLimit()).isEqualTo(41L);
            assertThat(host.getUlimits()).extracting(u -> u.getName() + "=" + u.getSoftLong() + "/" + u.getHardLong())
                    .contains("nofile=100/100", "fsize=" + 3 * MIB + "/" + 3 * MIB, "core=0/0");
            assertThat(host.getReadonlyRootfs()).isTrue();
            assertThat(host.getTmpFs()).containsKey("/tmp");
            assertThat(host.getInit()).isTrue();
            assertThat(host.getBinds()).isNullOrEmpty();
            // A pooled container also has its output FIFOs' folder, read-only (FifoStdio); nothing else.
            assertThat(inspect.getMounts()).extracting(m -> m.getDestination().getPath() + (Boolean.TRUE.equals(m.getRW()) ? " rw" : " ro"))
                    .containsAnyOf("/work rw").isSubsetOf("/work rw", FifoStdio.CONTAINER_DIR + " ro");
            assertThat(inspect.getConfig().getTty()).isFalse();
            assertThat(inspect.getConfig().getLabels()).containsKeys(DockerSandboxBackend.LABEL_BACKEND,
                    DockerSandboxBackend.LABEL_OWNER, DockerSandboxBackend.LABEL_RUN);

            // /work is the run's own tmpfs, mounted by the backend and bound in: what the run writes is capped.
            InspectContainerResponse.Mount work = inspect.getMounts().stream()
                    .filter(m -> m.getDestination().getPath().equals("/work")).findFirst().orElseThrow();
            assertThat(work.getSource()).startsWith("/var/lib/cloudrun/docker-workspaces/");
            String mountLine = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(line -> line.split(" ")[4].equals(work.getSource())).findFirst().orElseThrow();
            assertThat(mountLine).contains(" - tmpfs ").contains("size=" + 256 * 1024 + "k");
            execution.cancel();
            assertThat(execution.await(Duration.ofSeconds(20)).orElseThrow().status()).isEqualTo(Status.CANCELLED);
        }
    }

    /**
     * Where the backend cannot mount workspaces itself (a daemon over TCP, a JVM that is not root),
     * each is a tmpfs volume that a locked-down keeper container holds mounted: files still reach the
     * program, compile output still reaches the run step, and the size is still capped.
     */
    @Test
    void withoutHostMountsTheWorkspaceIsATmpfsVolumeHeldByAKeeper() throws Exception {
        DockerSandboxBackend volumes = DockerSandboxBackend.create(new DockerBackendOptions().hostWorkspaces(false));
        try (CodeRunner volumeRunner = CodeRunner.create(config -> config.backend(volumes))) {
            String program = "#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n"
                    + "  char line[64]; FILE *f = fopen(\"data.txt\", \"r\"); fgets(line, sizeof line, f); printf(\"read %s\", line);\n"
                    + "  fflush(stdout); sleep(3);\n"
                    + "  FILE *out = fopen(\"big.bin\", \"w\"); long n = 0; static char block[1 << 20];\n"
                    + "  while (n < 1024 && fwrite(block, 1, sizeof block, out) == sizeof block && fflush(out) == 0) n++;\n"
                    + "  printf(\"wrote %ld MiB\\n\", n); return 0;\n}\n";
            CountDownLatch reading = new CountDownLatch(1);
            try (Execution execution = volumeRunner.start(RunRequest.of("c", program).withFile("data.txt", "from the host\n")
                    .withLimits(limits -> limits.withMemoryBytes(1024 * MIB).withMaxFileSizeBytes(1024 * MIB)), new RunListener() {
                        @Override
                        public void onText(StreamKind stream, String text) {
                            reading.countDown();
                        }
                    })) {
                assertThat(reading.await(60, TimeUnit.SECONDS)).isTrue();
                List<Container> keepers = notPooled(volumes, volumes.client().listContainersCmd()
                        .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_INSTANCE, volumes.instanceId(),
                                DockerSandboxBackend.LABEL_ROLE, "keeper")).exec());
                assertThat(keepers).hasSize(1);
                InspectContainerResponse keeper = volumes.client().inspectContainerCmd(keepers.get(0).getId()).exec();
                assertThat(keeper.getConfig().getUser()).isEqualTo("1000:1000");
                assertThat(keeper.getHostConfig().getCapDrop()).containsExactly(Capability.ALL);
                assertThat(keeper.getHostConfig().getNetworkMode()).isEqualTo("none");
                assertThat(keeper.getHostConfig().getReadonlyRootfs()).isTrue();
                String volume = keeper.getMounts().get(0).getName();
                assertThat(volumes.client().inspectVolumeCmd(volume).exec().getOptions()).containsEntry("type", "tmpfs");

                RunResult result = execution.await(Duration.ofSeconds(60)).orElseThrow();
                assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
                assertThat(result.stdout()).startsWith("read from the host\n");
                Matcher wrote = Pattern.compile("read from the host\nwrote (\\d+) MiB\n").matcher(result.stdout());
                assertThat(wrote.matches()).as(result.stdout()).isTrue();
                assertThat(Integer.parseInt(wrote.group(1))).isBetween(200, 256);
            }
        } finally {
            LeakChecks.assertNothingLeftBehind(volumes::leftovers);
        }
    }

    @Test
    void filesCopiedIntoTheVolumeBelongToTheSandboxUser() {
        RunResult result = runner.run(RunRequest.of("bash", "stat -c '%n %u:%g %a %F' main.sh lib lib/util.sh . && cat lib/util.sh")
                .withFile("lib/util.sh", "echo util\n"));

        assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("main.sh 1000:1000 644 regular file\n"
                + "lib 1000:1000 755 directory\n"
                + "lib/util.sh 1000:1000 644 regular file\n"
                + ". 1000:1000 755 directory\n"
                + "echo util\n");
    }

    @Test
    void closingStdinDeliversEndOfFile() throws Exception {
        CountDownLatch ready = new CountDownLatch(1);
        try (Execution execution = runner.start(RunRequest.of("python",
                "import sys\nprint('ready', flush=True)\nprint(len(sys.stdin.read()))").withInteractiveStdin(),
                new RunListener() {
                    @Override
                    public void onText(StreamKind stream, String text) {
                        ready.countDown();
                    }
                })) {
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            execution.writeStdin("abc\n");
            execution.writeStdin("defgh\n");
            execution.closeStdin();
            RunResult result = execution.await(Duration.ofSeconds(20)).orElseThrow();

            assertThat(result.status()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("ready\n10\n");
        }
    }

    @Test
    void peakMemoryAndCpuOfAShortProgramAreMeasuredAfterItExits() {
        // Ends within milliseconds of its peak: only a cgroup that outlives the container sees it.
        RunResult result = runner.run(RunRequest.of("python", "data = bytearray(40 * 1024 * 1024)\nprint(len(data))"));

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.memoryBytes()).isGreaterThan(40 * MIB);
        assertThat(result.cpuTime()).isPositive();
    }

    @Test
    void javaRunsUnderTwoHundredFiftySixMebibytes() {
        RunResult result = runner.run(RunRequest.of("java", "public class Main {\n"
                + "  public static void main(String[] a) {\n"
                + "    byte[][] keep = new byte[48][];\n"
                + "    for (int i = 0; i < keep.length; i++) keep[i] = new byte[1024 * 1024];\n"
                + "    long max = Runtime.getRuntime().maxMemory() / (1024 * 1024);\n"
                + "    System.out.println(max <= 256 ? \"heap fits\" : \"heap too big \" + max);\n  }\n}\n")
                .withLimits(limits -> limits.withMemoryBytes(256 * MIB)));

        assertThat(result.status()).as(result.message() + result.stderr() + result.compilerOutput()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("heap fits\n");
        assertThat(result.memoryBytes()).isPositive().isLessThanOrEqualTo(256 * MIB);
    }

    @Test
    void staleLabelledContainersVolumesAndCgroupsAreSweptAtStartUp() throws Exception {
        DockerClient client = backend.client();
        // An owner on this host whose process is gone: a finished child of this JVM.
        String deadOwner = ProcessOwner.label(ProcessHandle.current()).replaceFirst("/\\d+/\\d+$", "/2147483646/1");
        Map<String, String> labels = Map.of(DockerSandboxBackend.LABEL_BACKEND, "docker",
                DockerSandboxBackend.LABEL_OWNER, deadOwner, DockerSandboxBackend.LABEL_INSTANCE, "crashed",
                DockerSandboxBackend.LABEL_RUN, "stale");
        String volume = client.createVolumeCmd().withName("cloudrun-stale-test-volume").withLabels(labels).exec().getName();
        String container = client.createContainerCmd("cloudrun/bash:1").withLabels(labels).withCmd("true").exec().getId();
        String otherHost = client.createContainerCmd("cloudrun/bash:1").withCmd("true")
                .withLabels(Map.of(DockerSandboxBackend.LABEL_BACKEND, "docker",
                        DockerSandboxBackend.LABEL_OWNER, "elsewhere/1/1")).exec().getId();
        Path staleCgroup = Path.of("/sys/fs/cgroup/memory", ContainerCgroup.PARENT_ROOT, "2147483646-crashed0-1");
        try {
            Files.createDirectories(staleCgroup);
            DockerSandboxBackend.create(1).close();

            assertThat(staleCgroup).doesNotExist();
            assertThat(client.listContainersCmd().withShowAll(true).exec()).extracting(Container::getId)
                    .doesNotContain(container).contains(otherHost);
            assertThat(client.listVolumesCmd().exec().getVolumes()).extracting(v -> v.getName()).doesNotContain(volume);
        } finally {
            backend.janitor().removeContainer(otherHost);
            backend.janitor().removeContainer(container);
            backend.janitor().removeVolume(volume);
        }
    }

    @Test
    void statsApiMeasuresWhenCgroupFilesAreNotUsed() {
        DockerSandboxBackend remoteLike = DockerSandboxBackend.create(new DockerBackendOptions().cgroupFiles(false));
        try (CodeRunner statsRunner = CodeRunner.create(config -> config.backend(remoteLike))) {
            RunResult result = statsRunner.run(RunRequest.of("python", "import time\ndata = bytearray(64 * 1024 * 1024)\n"
                    + "end = time.time() + 4\nwhile time.time() < end:\n    pass\nprint(len(data))"));

            assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
            assertThat(result.cpuTime()).isGreaterThan(Duration.ofMillis(500));
            assertThat(result.memoryBytes()).isGreaterThan(32 * MIB);
        }
        assertThat(remoteLike.leftovers()).isEmpty();
    }

    @Test
    void networkIsThereOnlyWhenTheRequestEnablesIt() {
        String program = "import os\nprint(sorted(os.listdir('/sys/class/net')))";
        RunResult off = runner.run(RunRequest.of("python", program));
        RunResult on = runner.run(RunRequest.of("python", program).withNetwork(true));

        assertThat(off.stdout()).isEqualTo("['lo']\n");
        assertThat(on.status()).as(on.message()).isEqualTo(Status.OK);
        assertThat(on.stdout()).contains("'eth0'");
    }

    @Test
    void autoPicksDockerWhenTheDaemonAnswers() {
        try (CodeRunner auto = CodeRunner.create(config -> config.backend(BackendKind.AUTO))) {
            assertThat(auto.backendName()).isEqualTo("docker");
        }
    }

    @Test
    void missingImageNamesTheBuildCommand() {
        Language ghost = Language.builder("ghost").displayName("Ghost").sourceFile("main.ghost")
                .extensions(List.of(".ghost")).runCommand(List.of("ghost", "{file}"))
                .image("cloudrun/ghost-does-not-exist:0").build();

        assertThatThrownBy(() -> backend.checkLanguage(ghost))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("cloudrun/ghost-does-not-exist:0")
                .hasMessageContaining("./cloudrun images build");
    }

    @Test
    void unreachableDaemonFailsAtCreationNamingDockerHost() {
        String previous = System.getProperty("DOCKER_HOST");
        System.setProperty("DOCKER_HOST", "unix:///tmp/cloudrun-no-daemon-here.sock");
        try {
            assertThatThrownBy(() -> CodeRunner.create(config -> config.backend(BackendKind.DOCKER)))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining("DOCKER_HOST")
                    .hasMessageContaining("/tmp/cloudrun-no-daemon-here.sock")
                    .hasMessageContaining("systemctl start docker");
        } finally {
            if (previous == null) {
                System.clearProperty("DOCKER_HOST");
            } else {
                System.setProperty("DOCKER_HOST", previous);
            }
        }
    }
}
