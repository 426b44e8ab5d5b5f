package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host out of memory loses sandboxes, not the JVM that runs them: every process of a local
 * sandbox has the highest OOM score (1000), and in a memory-limited cgroup that holds both a
 * stand-in "server" holding more memory and a process scored the way sandboxes are, the kernel's
 * OOM killer takes the sandbox and the stand-in survives. Only a cgroup of the test's own runs out
 * of memory, never the machine.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SandboxOomScoreTest {

    @Test
    void everyProcessOfARunningSandboxHasTheHighestOomScore() throws Exception {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(LocalSandboxBackend.create()))) {
            CountDownLatch started = new CountDownLatch(1);
            StringBuilder seen = new StringBuilder();
            try (Execution execution = runner.start(RunRequest.of("bash",
                    "cat /proc/self/oom_score_adj; sleep 30 & wait"), new RunListener() {
                        @Override
                        public void onText(StreamKind stream, String text) {
                            seen.append(text);
                            started.countDown();
                        }
                    })) {
                assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
                await().atMost(Duration.ofSeconds(10)).until(() -> seen.toString().contains("\n"));
                assertThat(seen.toString().strip()).as("the score seen from inside the sandbox").isEqualTo("1000");

                List<ProcessHandle> sandboxProcesses = ProcessHandle.current().descendants().toList();
                assertThat(sandboxProcesses).as("bubblewrap, the shell and sleep").hasSizeGreaterThanOrEqualTo(3);
                for (ProcessHandle process : sandboxProcesses) {
                    assertThat(oomScoreAdj(process.pid())).as("oom_score_adj of " + process.info().commandLine().orElse(""))
                            .isEqualTo(1000);
                }
                execution.cancel();
                assertThat(execution.await(Duration.ofSeconds(20)).orElseThrow().status()).isEqualTo(Status.CANCELLED);
            }
        }
    }

    @Test
    void inAMemoryLimitedCgroupTheOomKillerTakesTheSandboxNotTheServer() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("creating a cgroup needs root").isZero();
        try (TestMemoryCgroup cgroup = TestMemoryCgroup.create(256L << 20)) {
            // The stand-in server holds 150 MiB, more than the sandbox will when the cgroup runs out:
            // by size alone the kernel would kill it.
            Process server = cgroup.start(0, "python3", "-c",
                    "import sys, time\nheld = b'x' * (150 << 20)\nprint('holding', flush=True)\ntime.sleep(600)");
            try {
                assertThat(new String(server.getInputStream().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("holding\n");
                Process sandbox = cgroup.start(LocalSandbox.OOM_SCORE_ADJ, "python3", "-c",
                        "import time\nheld = []\nwhile True:\n    held.append(b'x' * (4 << 20))\n    time.sleep(0.005)");
                assertThat(sandbox.waitFor(60, TimeUnit.SECONDS)).as("the sandbox was killed").isTrue();
                assertThat(sandbox.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
                assertThat(cgroup.oomKills()).isGreaterThanOrEqualTo(1);
                assertThat(server.isAlive()).as("the stand-in server survived").isTrue();
            } finally {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static int oomScoreAdj(long pid) throws IOException {
        return Integer.parseInt(Files.readString(Path.of("/proc/" + pid + "/oom_score_adj")).strip());
    }

    /** A memory cgroup (v1 or v2) of the test's own, without swap, removed on close. */
    static final class TestMemoryCgroup implements AutoCloseable {
        private final Path dir;
        private final boolean v2;

        private TestMemoryCgroup(Path dir, boolean v2) {
            this.dir = dir;
            this.v2 = v2;
        }

        static TestMemoryCgroup create(long limitBytes) throws IOException {
            String name = "cloudrun-oomtest-" + ProcessHandle.current().pid();
            boolean v2 = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"));
            Path dir = v2 ? Path.of("/sys/fs/cgroup", name) : Path.of("/sys/fs/cgroup/memory", name);
            Files.createDirectory(dir);
            TestMemoryCgroup cgroup = new TestMemoryCgroup(dir, v2);
            if (v2) {
                Files.writeString(dir.resolve("memory.max"), Long.toString(limitBytes));
                Files.writeString(dir.resolve("memory.swap.max"), "0");
            } else {
                Files.writeString(dir.resolve("memory.limit_in_bytes"), Long.toString(limitBytes));
                if (Files.exists(dir.resolve("memory.memsw.limit_in_bytes"))) {
                    Files.writeString(dir.resolve("memory.memsw.limit_in_bytes"), Long.toString(limitBytes));
                }
            }
            return cgroup;
        }

        /** Starts a command inside the cgroup with the given OOM score, set before it execs. */
        Process start(int oomScoreAdj, String... command) throws IOException {
            List<String> full = new java.util.ArrayList<>(List.of("/bin/sh", "-c",
                    "echo $$ > \"$0\" && echo " + oomScoreAdj + " > /proc/self/oom_score_adj && exec \"$@\"",
                    dir.resolve("cgroup.procs").toString()));
            full.addAll(List.of(command));
            return new ProcessBuilder(full).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        }

        long oomKills() throws IOException {
            if (v2) {
                return Files.readAllLines(dir.resolve("memory.events")).stream().filter(line -> line.startsWith("oom_kill "))
                        .mapToLong(line -> Long.parseLong(line.substring("oom_kill ".length()).strip())).sum();
            }
            return Files.readAllLines(dir.resolve("memory.oom_control")).stream().filter(line -> line.startsWith("oom_kill "))
                    .mapToLong(line -> Long.parseLong(line.substring("oom_kill ".length()).strip())).sum();
        }

        @Override
        public void close() throws IOException {
            for (String pid : Files.readAllLines(dir.resolve("cgroup.procs"))) {
                ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.readAllLines(dir.resolve("cgroup.procs")).isEmpty());
            Files.delete(dir);
        }
    }
}
