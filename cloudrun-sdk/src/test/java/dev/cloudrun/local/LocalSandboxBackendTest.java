package dev.cloudrun.local;

import dev.cloudrun.tck.LeakChecks;
import dev.cloudrun.Limits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the local backend does beyond the test kit: its host-side safety and its errors. */
class LocalSandboxBackendTest {

    @Test
    void theStepRlimitsAreExactWhetherTheShellOrPrlimitSetsThem() throws Exception {
        String probe = "import resource as r\n"
                + "print([r.getrlimit(x) for x in (r.RLIMIT_CPU, r.RLIMIT_FSIZE, r.RLIMIT_NOFILE, r.RLIMIT_CORE, r.RLIMIT_STACK)])\n";
        LocalSandboxBackend backend = LocalSandboxBackend.create();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            // Whole 512-byte blocks and KiB: dash's ulimit sets them (on a host whose /bin/sh is dash).
            RunResult blocks = runner.run(RunRequest.of("python", probe).withLimits(limits -> limits
                    .withCpuTime(Duration.ofSeconds(2)).withMaxFileSizeBytes(3 * 512).withMaxOpenFiles(77)
                    .withStackBytes(5 * 1024 * 1024)));
            // Not whole blocks: prlimit sets them, to the byte.
            RunResult bytes = runner.run(RunRequest.of("python", probe).withLimits(limits -> limits
                    .withCpuTime(Duration.ofMillis(1500)).withMaxFileSizeBytes(1000).withMaxOpenFiles(78)
                    .withStackBytes(5 * 1024 * 1024 + 100)));

            assertThat(LocalSandbox.shellLimits(Limits.defaults().withMaxFileSizeBytes(3 * 512), 3, -1)).isPresent();
            assertThat(LocalSandbox.shellLimits(Limits.defaults().withMaxFileSizeBytes(1000), 3, -1)).isEmpty();
            assertThat(blocks.stdout()).as(blocks.stderr())
                    .isEqualTo("[(3, 4), (1536, 1536), (77, 77), (0, 0), (5242880, 5242880)]\n");
            assertThat(bytes.stdout()).as(bytes.stderr())
                    .isEqualTo("[(3, 4), (1000, 1000), (78, 78), (0, 0), (5242980, 5242980)]\n");
        }
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void missingBubblewrapGivesTheInstallCommand() {
        assertThatThrownBy(() -> LocalSandboxBackend.create(new LocalSandboxBackend.Options().bwrapPath("/nonexistent/bwrap")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("bubblewrap")
                .hasMessageContaining("apt-get install bubblewrap");
    }

    @Test
    void aHostThatCannotSandboxIsRefusedBeforeAnythingIsCreated(@TempDir Path base) throws Exception {
        // /bin/false stands in for a bwrap that cannot create namespaces here: the probe fails.
        assertThatThrownBy(() -> LocalSandboxBackend.create(new LocalSandboxBackend.Options().bwrapPath("/bin/false")
                .baseDirectory(base.resolve("sandboxes"))))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("bubblewrap cannot create a sandbox");
        assertThat(base.resolve("sandboxes")).as("no instance folder is left").doesNotExist();
    }

    @Test
    void sandboxedProcessesRunAsTheUnprivilegedHostUidWhenTheJvmIsRoot() throws Exception {
        LocalSandboxBackend backend = LocalSandboxBackend.create();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            CountDownLatch started = new CountDownLatch(1);
            try (Execution execution = runner.start(RunRequest.of("bash", "echo up; exec sleep 30"), new RunListener() {
                @Override
                public void onText(StreamKind stream, String text) {
                    started.countDown();
                }
            })) {
                assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
                // "up" is printed just before bash execs sleep: wait for the exec.
                Optional<ProcessHandle> sleeper = await().atMost(Duration.ofSeconds(10))
                        .until(() -> ProcessHandle.current().descendants()
                                .filter(p -> p.info().command().map(c -> c.endsWith("/sleep")).orElse(false))
                                .findFirst(), Optional::isPresent);
                String uidLine = Files.readAllLines(Path.of("/proc/" + sleeper.get().pid() + "/status")).stream()
                        .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow();
                boolean jvmIsRoot = HostTools.currentUid() == 0;
                String expectedUid = jvmIsRoot ? "61000" : Integer.toString(HostTools.currentUid());
                assertThat(uidLine.split("\\s+")[1]).isEqualTo(expectedUid);
                execution.cancel();
                assertThat(execution.await().status()).isEqualTo(Status.CANCELLED);
            }
        }
        assertThat(backend.leftovers()).isEmpty();
    }

    @Test
    void fenceRulesOfACrashedInstanceAreSweptAtStartUp() throws Exception {
        assertThat(HostTools.currentUid()).as("the network fence needs root").isZero();
        long gone = 4_000_000;
        while (ProcessHandle.of(gone).isPresent()) {
            gone--;
        }
        String chain = "CLOUDRUN-61000";
        List<String> stale = List.of("-p", "tcp", "-d", "127.0.0.1/32", "--dport", "1", "-m", "comment",
                "--comment", "cloudrun-" + gone, "-j", "RETURN");
        iptables("-N", chain); // may exist already
        assertThat(iptables(concat(List.of("-I", chain, "1"), stale))).isZero();

        LocalSandboxBackend.create().close();

        assertThat(iptables(concat(List.of("-C", chain), stale))).as("the stale rule is gone").isNotZero();
    }

    private static int iptables(String... arguments) throws Exception {
        return iptables(List.of(arguments));
    }

    private static int iptables(List<String> arguments) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("iptables", "-w", "10"));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor();
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    @Test
    void symlinksPlantedInTheWorkspaceAreNeverFollowedOnCleanup(@TempDir Path outside) throws Exception {
        Path precious = Files.writeString(outside.resolve("precious.txt"), "keep me");
        LocalSandboxBackend backend = LocalSandboxBackend.create();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            // Inside the sandbox the host path does not exist, but a link to it is still a link the host could follow.
            RunResult result = runner.run(RunRequest.of("bash", "ln -s " + outside + " dirlink; ln -s " + precious
                    + " filelink; ln -s / rootlink; mkdir -p d; chmod 000 d; ls -l | wc -l"));
            assertThat(result.status()).isEqualTo(Status.OK);
        }
        assertThat(precious).hasContent("keep me");
        assertThat(backend.leftovers()).isEmpty();
    }

    /**
     * Pid 1 of a local sandbox is bubblewrap's init, outside the seccomp filter: besides ptrace
     * (refused by the filter, see the test kit), its memory is reachable through /proc/1/mem, which
     * must not be there to open.
     */
    @Test
    void pidOneOfTheSandboxCannotBeReachedThroughProc() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(LocalSandboxBackend.create()))) {
            RunResult result = runner.run(RunRequest.of("python", "import os\n"
                    + "for name in ['/proc/1/mem', '/proc/1/task/1/mem', '/proc/1/environ']:\n"
                    + "    try:\n        os.close(os.open(name, os.O_RDWR if name.endswith('mem') else os.O_RDONLY))\n"
                    + "        print('OPENED', name)\n"
                    + "    except OSError as e:\n        print('refused', name)\n"));

            assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
            assertThat(result.stdout()).doesNotContain("OPENED");
        }
    }

    @Test
    void safeDeleteRemovesLinksNotTheirTargets(@TempDir Path dir) throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Path target = Files.writeString(outside.resolve("target.txt"), "keep");
        Path tree = Files.createDirectories(dir.resolve("tree/nested"));
        Files.createSymbolicLink(tree.resolve("to-dir"), outside);
        Files.createSymbolicLink(tree.resolve("to-file"), target);
        Files.writeString(tree.resolve("own.txt"), "x");
        Files.setPosixFilePermissions(tree, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));

        SafeDelete.tree(dir.resolve("tree"));

        assertThat(dir.resolve("tree")).doesNotExist();
        assertThat(target).hasContent("keep");
    }

    @Test
    void aBaseFolderSomeoneElseOwnsIsRefused(@TempDir Path dir) throws IOException {
        Path squatted = Files.createDirectories(dir.resolve("squatted"));
        Files.setAttribute(squatted, "unix:uid", 4242);
        Path link = Files.createSymbolicLink(dir.resolve("link"), Files.createDirectories(dir.resolve("real")));

        assertThatThrownBy(() -> LocalSandboxBackend.create(new LocalSandboxBackend.Options().baseDirectory(squatted)))
                .hasMessageContaining("not a folder owned by this user");
        assertThatThrownBy(() -> LocalSandboxBackend.create(new LocalSandboxBackend.Options().baseDirectory(link)))
                .hasMessageContaining("not a folder owned by this user");
    }

    @Test
    void leftoversOfACrashedInstanceAreSweptAtStartUp() throws IOException {
        Path base = Path.of(System.getProperty("java.io.tmpdir"), "cloudrun-sandboxes-" + HostTools.currentUid());
        Path stale = base.resolve("cloudrun-999999999-dead0000");
        Files.createDirectories(stale.resolve("run/work"));
        Files.writeString(stale.resolve("run/work/main.py"), "print(1)");

        LocalSandboxBackend backend = LocalSandboxBackend.create();
        backend.close();

        assertThat(stale).doesNotExist();
    }

    @Test
    void theUnsafeBackendSaysSoAndStillEnforcesLimits() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(LocalSandboxBackend.unsafeUnsandboxed()))) {
            assertThat(runner.backendName()).isEqualTo("unsafe-unsandboxed");
            assertThat(runner.run(RunRequest.of("python", "print('plain')")).stdout()).isEqualTo("plain\n");
            RunResult loop = runner.run(RunRequest.of("python", "while True: pass")
                    .withLimits(limits -> limits.withCpuTime(Duration.ofSeconds(1))));
            assertThat(loop.status()).isEqualTo(Status.TIME_LIMIT);
        }
    }

    @Test
    void closingTheRunnerCancelsRunsStillGoing() throws Exception {
        LocalSandboxBackend backend = LocalSandboxBackend.create();
        CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
        List<Execution> executions = List.of(
                runner.start(RunRequest.of("bash", "sleep 60"), RunListener.NONE),
                runner.start(RunRequest.of("python", "import time\ntime.sleep(60)"), RunListener.NONE));

        runner.close();

        for (Execution execution : executions) {
            assertThat(execution.result()).isDone();
            assertThat(execution.await().status()).isEqualTo(Status.CANCELLED);
        }
        assertThat(backend.leftovers()).isEmpty();
    }
}
