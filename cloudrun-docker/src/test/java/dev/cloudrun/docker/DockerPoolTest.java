package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.model.Container;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.tck.LeakChecks;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm pool against a real daemon: every pooled container serves one run only, a miss still
 * runs, the pool shrinks when idle and leaves nothing at close, a crashed JVM's pool is swept by
 * the next start, concurrent runs each get their own container, and two backends on one daemon
 * keep to their own pools.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DockerPoolTest {
    /** Prints the container's id (from its hostname file's mount), then what an earlier run could have left. */
    private static final String PROBE = String.join("\n",
            "import os, subprocess",
            "cid = [l.split()[3] for l in open('/proc/self/mountinfo') if l.split()[4] == '/etc/hostname'][0]",
            "print('container', cid.split('/')[-2])",
            "print('work', sorted(os.listdir('/work')))",
            "print('tmp', sorted(os.listdir('/tmp')))",
            "others = [p for p in os.listdir('/proc') if p.isdigit() and p not in ('1', str(os.getpid()))]",
            "cmds = sorted(open('/proc/%s/cmdline' % p).read().replace('\\0', ' ').strip() for p in others)",
            "print('procs', [c for c in cmds if c])",
            "open('/work/left-behind', 'w').write('x')",
            "open('/tmp/left-behind', 'w').write('x')",
            "subprocess.Popen(['sleep', '1000'], start_new_session=True)",
            "");

    private static DockerSandboxBackend pooled(DockerBackendOptions options) {
        return DockerSandboxBackend.create(options.maxConcurrentRuns(8));
    }

    private static String line(RunResult result, String prefix) {
        return result.stdout().lines().filter(l -> l.startsWith(prefix + " ")).findFirst()
                .map(l -> l.substring(prefix.length() + 1)).orElseThrow(() -> new AssertionError(result.stdout()));
    }

    @Test
    void aPooledContainerServesOneRunOnlyAndLeavesNothingForTheNext() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions());
        Set<String> containers = new HashSet<>();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            for (int round = 0; round < 12; round++) {
                RunResult result = runner.run(RunRequest.of("python", PROBE));
                assertThat(result.status()).as(result.stderr() + result.message()).isEqualTo(Status.OK);
                assertThat(containers.add(line(result, "container"))).as("container reused: %s", result.stdout()).isTrue();
                assertThat(line(result, "work")).isEqualTo("['main.py']");
                assertThat(line(result, "tmp")).isEqualTo("[]");
                assertThat(line(result, "procs")).isEqualTo("[]");
                LeakChecks.assertNothingLeftBehind(backend::leftovers);
                // Give the pool the time a user would leave between runs, so that most rounds find one ready.
                await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().readyTotal() >= 1);
            }
            assertThat(backend.pool().hits()).as("runs served from the pool").isGreaterThanOrEqualTo(10);
        }
        assertThat(backend.leftovers()).isEmpty();
        assertNothingLabelled(backend.instanceId());
    }

    @Test
    void underGvisorPooledRunsAreFreshAndKeepTheOutputRelay() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions().runtime("runsc"));
        // One write of 512 KiB: more than a host pipe holds, which only the relay (GvisorStdio) delivers whole.
        String program = PROBE + "import sys\nsys.stdout.flush()\nos.write(1, b'x' * (1 << 19))\nsys.exit(4)\n";
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            for (int round = 0; round < 3; round++) {
                RunResult result = runner.run(RunRequest.of("python", program));
                assertThat(result.exitCode()).as(result.stderr() + result.message()).isEqualTo(4);
                // gVisor's mount table names no container: freshness shows in what the last run left.
                assertThat(line(result, "work")).isEqualTo("['main.py']");
                assertThat(line(result, "tmp")).isEqualTo("[]");
                assertThat(result.stdout()).endsWith("\n" + "x".repeat(1 << 19));
                await().atMost(Duration.ofSeconds(60)).until(() -> backend.pool().readyTotal() >= 1);
            }
            assertThat(backend.pool().hits()).isGreaterThanOrEqualTo(2);
        }
        assertThat(backend.leftovers()).isEmpty();
        assertNothingLabelled(backend.instanceId());
    }

    @Test
    void compiledRunsGetBothStepsFromThePoolAndStayFresh() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions());
        String program = "#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n"
                + "  printf(\"%d\\n\", access(\"/work/left-behind\", F_OK) == 0);\n"
                + "  FILE *f = fopen(\"/work/left-behind\", \"w\"); fputs(\"x\", f); fclose(f);\n  return 0;\n}\n";
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            for (int round = 0; round < 4; round++) {
                RunResult result = runner.run(RunRequest.of("c", program));
                assertThat(result.status()).as(result.compilerOutput() + result.stderr() + result.message())
                        .isEqualTo(Status.OK);
                assertThat(result.stdout()).isEqualTo("0\n");
                await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().readyTotal() >= 1);
            }
            assertThat(backend.pool().hits()).isGreaterThanOrEqualTo(2);
        }
        assertThat(backend.leftovers()).isEmpty();
    }

    @Test
    void aRunAfterAMissWorksAndTheNextIsServedFromThePool() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions());
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            RunResult cold = runner.run(RunRequest.of("python", "print(input())").withStdin("miss\n"));
            assertThat(cold.status()).isEqualTo(Status.OK);
            assertThat(cold.stdout()).isEqualTo("miss\n");
            assertThat(backend.pool().misses()).isEqualTo(1);
            assertThat(backend.pool().hits()).isZero();

            await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().readyTotal() == 1);
            RunResult warm = runner.run(RunRequest.of("python", "import sys\nprint(input(), sys.argv)\nsys.exit(3)")
                    .withStdin("hit\n"));
            assertThat(backend.pool().hits()).isEqualTo(1);
            assertThat(warm.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(warm.exitCode()).isEqualTo(3);
            assertThat(warm.stdout()).isEqualTo("hit ['main.py']\n");
        }
        assertThat(backend.leftovers()).isEmpty();
        assertNothingLabelled(backend.instanceId());
    }

    @Test
    void thePoolShrinksToItsMinimumWhenIdleAndCloseLeavesNothing() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions().poolIdleTimeout(Duration.ofSeconds(1)));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            assertThat(runner.run(RunRequest.of("python", "print(1)")).status()).isEqualTo(Status.OK);
            await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().built() == 1);

            await().atMost(Duration.ofSeconds(30)).until(() -> backend.pool().readyTotal() == 0);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(labelledContainers(backend.instanceId())).isEmpty());
        }
        assertNothingLabelled(backend.instanceId());

        DockerSandboxBackend keepsOne = pooled(new DockerBackendOptions().poolIdleTimeout(Duration.ofSeconds(1))
                .poolMinPerProfile(1));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(keepsOne))) {
            for (int round = 0; round < 2; round++) {
                CompletableFuture<?>[] runs = new CompletableFuture<?>[3];
                for (int i = 0; i < runs.length; i++) {
                    runs[i] = CompletableFuture.supplyAsync(() -> runner.run(RunRequest.of("python",
                            "import time\ntime.sleep(1)")));
                }
                CompletableFuture.allOf(runs).join();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> keepsOne.pool().built() >= 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> keepsOne.pool().readyTotal() == 1);
            // Stays at the minimum.
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> keepsOne.pool().readyTotal() == 1);
        }
        assertThat(keepsOne.leftovers()).isEmpty();
        assertNothingLabelled(keepsOne.instanceId());
    }

    @Test
    void concurrentRunsEachGetTheirOwnContainer() {
        DockerSandboxBackend backend = pooled(new DockerBackendOptions().poolMaxPerProfile(4));
        Set<String> containers = new HashSet<>();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(8))) {
            for (int round = 0; round < 3; round++) {
                List<CompletableFuture<RunResult>> runs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    runs.add(CompletableFuture.supplyAsync(() -> runner.run(RunRequest.of("python",
                            PROBE + "import time\ntime.sleep(0.5)\n"))));
                }
                for (CompletableFuture<RunResult> run : runs) {
                    RunResult result = run.join();
                    assertThat(result.status()).as(result.stderr() + result.message()).isEqualTo(Status.OK);
                    assertThat(containers.add(line(result, "container"))).as("container reused").isTrue();
                    assertThat(line(result, "work")).isEqualTo("['main.py']");
                    assertThat(line(result, "procs")).isEqualTo("[]");
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> backend.pool().readyTotal() >= 4);
                assertThat(backend.pool().readyTotal()).as("never more than the maximum ready").isLessThanOrEqualTo(4);
            }
            assertThat(backend.pool().hits()).isGreaterThanOrEqualTo(8);
        }
        assertThat(backend.leftovers()).isEmpty();
        assertNothingLabelled(backend.instanceId());
    }

    @Test
    void twoBackendsOnOneDaemonKeepToTheirOwnPools() {
        DockerSandboxBackend first = pooled(new DockerBackendOptions());
        DockerSandboxBackend second = pooled(new DockerBackendOptions());
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(second))) {
            try (CodeRunner other = CodeRunner.create(config -> config.backend(first))) {
                assertThat(other.run(RunRequest.of("python", "print(1)")).status()).isEqualTo(Status.OK);
                assertThat(runner.run(RunRequest.of("python", "print(2)")).status()).isEqualTo(Status.OK);
                await().atMost(Duration.ofSeconds(30)).until(() -> first.pool().readyTotal() == 1
                        && second.pool().readyTotal() == 1);
                // A third backend starting up sweeps only what dead JVMs left.
                DockerSandboxBackend.create(1).close();
                assertThat(labelledContainers(first.instanceId())).isNotEmpty();
            }
            assertNothingLabelled(first.instanceId());
            assertThat(labelledContainers(second.instanceId())).isNotEmpty();
            RunResult result = runner.run(RunRequest.of("python", "print(3)"));
            assertThat(result.stdout()).isEqualTo("3\n");
            assertThat(second.pool().hits()).isEqualTo(1);
        }
        assertNothingLabelled(second.instanceId());
    }

    @Test
    void aCrashedJvmLeavesPooledContainersThatTheNextStartSweeps() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                PoolCrashChild.class.getName()).redirectErrorStream(true).start();
        String instance;
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line;
            instance = null;
            while ((line = output.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    instance = line.substring("READY ".length()).trim();
                    break;
                }
            }
            assertThat(instance).as("the child's pool became ready").isNotNull();
            assertThat(labelledContainers(instance)).isNotEmpty();
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        String childPid = Long.toString(child.pid());
        DockerSandboxBackend.create(1).close();

        assertNothingLabelled(instance);
        try (Stream<Path> workspaces = Files.list(Path.of("/var/lib/cloudrun/docker-workspaces"))) {
            assertThat(workspaces.map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith(childPid + "-"));
        }
        assertThat(ContainerCgroup.parentFolders(null)).extracting(p -> p.getFileName().toString())
                .noneMatch(name -> name.startsWith(childPid + "-"));
    }

    private static List<Container> labelledContainers(String instance) {
        try (DockerSandboxBackend probe = DockerSandboxBackend.create(new DockerBackendOptions().pool(false))) {
            return probe.client().listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_INSTANCE, instance)).exec();
        }
    }

    private static void assertNothingLabelled(String instance) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            try (DockerSandboxBackend probe = DockerSandboxBackend.create(new DockerBackendOptions().pool(false))) {
                DockerClient client = probe.client();
                assertThat(client.listContainersCmd().withShowAll(true)
                        .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_INSTANCE, instance)).exec()).isEmpty();
                List<InspectVolumeResponse> volumes = client.listVolumesCmd()
                        .withFilter("label", List.of(DockerSandboxBackend.LABEL_INSTANCE + "=" + instance)).exec().getVolumes();
                assertThat(volumes == null ? List.of() : volumes).isEmpty();
            }
        });
    }
}
