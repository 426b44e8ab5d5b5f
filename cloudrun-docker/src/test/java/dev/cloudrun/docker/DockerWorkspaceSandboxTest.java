package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import dev.cloudrun.tck.LeakChecks;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The Docker workspace sandbox through the SPI, against the real daemon: the container's hardening
 * as the daemon reports it, hang-up ending a whole session (also what ignores SIGHUP) while the
 * workspace lives on, steps and their kill, the file operations' answers to bad input and to what
 * user code planted (a symlink out of the tree, a FIFO), and a close that leaves nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerWorkspaceSandboxTest {
    private static final Pattern PROMPT = Pattern.compile("\\$ $");
    private DockerSandboxBackend backend;
    private Language python;

    @BeforeAll
    void start() {
        backend = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2).pool(false));
        python = LanguageRegistry.loadDefault().require("python");
    }

    @AfterAll
    void stop() {
        backend.close();
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    private WorkspaceSandboxSpec spec(Map<String, byte[]> files, long diskBytes) {
        return new WorkspaceSandboxSpec("test-" + UUID.randomUUID(), python, files, 256L << 20, 32, 0.5, diskBytes,
                false, List.of());
    }

    @Test
    void theContainerIsHardenedAsRunContainersAre() {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            InspectContainerResponse inspected = backend.client().inspectContainerCmd(workspace.containerId()).exec();
            HostConfig host = inspected.getHostConfig();
            assertThat(inspected.getConfig().getUser()).as("the init's user: nobody, out of user 1000's reach")
                    .isEqualTo("65534:65534");
            assertThat(host.getCapDrop()).containsExactly(Capability.ALL);
            assertThat(host.getSecurityOpts()).anyMatch(option -> option.startsWith("no-new-privileges"));
            assertThat(host.getReadonlyRootfs()).isTrue();
            assertThat(host.getInit()).isTrue();
            assertThat(host.getPrivileged()).isFalse();
            assertThat(host.getNetworkMode()).isEqualTo("none");
            assertThat(host.getMemory()).isEqualTo(256L << 20);
            assertThat(host.getMemorySwap()).isEqualTo(256L << 20);
            assertThat(host.getNanoCPUs()).isEqualTo(500_000_000L);
            assertThat(host.getPidsLimit()).isBetween(32L, 40L);
            assertThat(host.getTmpFs()).containsKey("/work");
            assertThat(host.getTmpFs().get("/work")).contains("size=" + (8L << 20)).contains("uid=1000");
            assertThat(inspected.getConfig().getLabels()).containsEntry(DockerSandboxBackend.LABEL_ROLE, "workspace");
        }
    }

    @Test
    void hangUpEndsTheWholeSessionAlsoWhatIgnoresSigHupAndTheWorkspaceLivesOn() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            int idle = workspace.processCount();
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "sh -c 'trap \"\" HUP; sleep 1000' & sleep 2000 & echo started\r");
            screen.waitFor(Pattern.compile("started\r\n"));
            assertThat(workspace.processCount()).isGreaterThanOrEqualTo(idle + 4);
            terminal.hangUp();
            assertThat(terminal.await(Duration.ofSeconds(20))).isPresent();
            assertThat(workspace.processCount()).isEqualTo(idle);
            assertThat(workspace.openExecs()).isEmpty();
            workspace.write("still.txt", "here".getBytes(StandardCharsets.UTF_8));
            assertThat(workspace.read("still.txt")).asString(StandardCharsets.UTF_8).isEqualTo("here");
        }
    }

    @Test
    void aStepRunsAgainstTheFilesAndItsKillEndsWhatItStarted() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(
                Map.of("src/data.txt", "from the tree\n".getBytes(StandardCharsets.UTF_8)), 8L << 20))) {
            int idle = workspace.processCount();
            Collected out = new Collected();
            SandboxProcess step = workspace.start(new StepSpec(StepSpec.Kind.RUN, List.of("sh", "-c",
                    "cat src/data.txt; echo oops >&2; exit 3"), Map.of("GREETING", "hi"), Limits.defaults(), false), out);
            step.stdin().close();
            Optional<StepOutcome> outcome = step.await(Duration.ofSeconds(20));
            assertThat(outcome).isPresent();
            assertThat(outcome.get().exitCode()).isEqualTo(3);
            assertThat(out.stdout()).isEqualTo("from the tree\n");
            assertThat(out.stderr()).isEqualTo("oops\n");

            SandboxProcess sleeper = workspace.start(new StepSpec(StepSpec.Kind.RUN, List.of("sh", "-c",
                    "sleep 1000 & sleep 1000; echo never"), Map.of(), Limits.defaults(), false), new Collected());
            assertThat(sleeper.await(Duration.ofMillis(500))).isEmpty();
            sleeper.kill();
            Optional<StepOutcome> killed = sleeper.await(Duration.ofSeconds(20));
            assertThat(killed).isPresent();
            assertThat(killed.get().signal()).isEqualTo(9);
            assertThat(workspace.processCount()).isEqualTo(idle);
        }
    }

    @Test
    void fileOperationsNameTheFieldOnBadInputAndTheCapHolds() {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(
                Map.of("dir/inner.txt", new byte[] {1}), 1L << 20))) {
            assertThatThrownBy(() -> workspace.write("big.bin", new byte[2 << 20]))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("content"))
                    .hasMessageContaining("full");
            assertThat(workspace.list()).extracting(entry -> entry.path()).containsExactly("dir", "dir/inner.txt");
            assertThatThrownBy(() -> workspace.write("dir", new byte[] {2}))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("path"));
            assertThatThrownBy(() -> workspace.read("missing.txt"))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("path"));
            assertThatThrownBy(() -> workspace.rename("missing.txt", "other.txt"))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("from"));
        }
    }

    @Test
    void whatUserCodePlantedNeitherHangsNorLeadsOutOfTheSandbox() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "mkfifo pipe && ln -s /etc/hostname link && echo planted\r");
            screen.waitFor(Pattern.compile("planted\r\n"));
            long before = System.nanoTime();
            assertThatThrownBy(() -> workspace.read("pipe")).isInstanceOf(InvalidRequestException.class);
            assertThat(System.nanoTime() - before).as("a FIFO is refused, not read").isLessThan(TimeUnit.SECONDS.toNanos(15));
            // The link's target is the container's own read-only file; a write replaces the link itself.
            assertThat(workspace.read("link")).asString(StandardCharsets.UTF_8).isEqualTo("workspace\n");
            workspace.write("link", "mine".getBytes(StandardCharsets.UTF_8));
            type(terminal, "test -L link || echo regular-$((4*4)); cat /etc/hostname\r");
            screen.waitFor(Pattern.compile("regular-16\r\nworkspace\r\n"));
            terminal.hangUp();
        }
    }

    @Test
    void withEveryProcessTakenANewTerminalFailsClearlyAndCloseStillEndsAll() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "python3 -c \"import os, time\nn = 0\ntry:\n  while True:\n    if os.fork() == 0:\n"
                    + "      time.sleep(1000); os._exit(0)\n    n += 1\nexcept OSError as e: print('held', n, e.errno)\n"
                    + "time.sleep(1000)\"\r");
            screen.waitFor(Pattern.compile("held \\d+ 11"));
            assertThatThrownBy(() -> workspace.openTerminal(80, 24, new Screen()))
                    .isInstanceOf(dev.cloudrun.CloudRunException.class)
                    .hasMessageContaining("cannot start a shell in the workspace")
                    .hasMessageContaining("32 processes");
            // Hang-up ends the holder and its children (all in the terminal's session), freeing the processes.
            terminal.hangUp();
            assertThat(terminal.await(Duration.ofSeconds(20))).isPresent();
            Screen again = new Screen();
            TerminalProcess next = workspace.openTerminal(80, 24, again);
            again.waitFor(PROMPT);
            next.hangUp();
        }
    }

    @Test
    void aFloodOfOutputFlowsAtTheReadersPaceAndCtrlCStopsIt() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "yes flooding-the-terminal\r");
            screen.waitFor(Pattern.compile("(flooding-the-terminal\r\n){1000}"));
            terminal.input().write(3);
            type(terminal, "echo after $((5*5))\r");
            screen.waitFor(Pattern.compile("after 25\r\n"));
            terminal.hangUp();
        }
    }

    /**
     * Network off by default; when on, behind the runs' fence: this host and private networks are
     * refused, a public host answers, and an endpoint the workspace names is let through.
     */
    @Test
    void networkIsOffUnlessAskedAndThenBehindTheRunsFence() throws Exception {
        String hostAddress = java.net.NetworkInterface.networkInterfaces().filter(nic -> {
            try {
                return nic.isUp() && !nic.isLoopback();
            } catch (java.net.SocketException e) {
                return false;
            }
        }).flatMap(java.net.NetworkInterface::inetAddresses).filter(address -> address instanceof java.net.Inet4Address)
                .map(java.net.InetAddress::getHostAddress).findFirst().orElseThrow();
        try (java.net.ServerSocket open = new java.net.ServerSocket(0, 50);
             java.net.ServerSocket named = new java.net.ServerSocket(0, 50)) {
            String probe = "import socket\nfor host, port in [('" + hostAddress + "', " + open.getLocalPort() + "), ('"
                    + hostAddress + "', " + named.getLocalPort() + "), ('10.0.0.1', 9), ('registry.npmjs.org', 443)]:\n"
                    + "    try:\n        socket.create_connection((host, port), timeout=10).close(); print(port, 'reached')\n"
                    + "    except OSError as e: print(port, type(e).__name__)\n";
            StepSpec step = new StepSpec(StepSpec.Kind.RUN, List.of("python3", "-c", probe), Map.of(),
                    Limits.defaults().withWallTime(Duration.ofSeconds(60)), false);
            try (DockerWorkspace off = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
                assertThat(runToEnd(off, step)).doesNotContain("reached");
                StepSpec asking = new StepSpec(StepSpec.Kind.RUN, step.command(), Map.of(), step.limits(), true);
                assertThatThrownBy(() -> off.start(asking, new Collected()))
                        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("network"));
            }
            WorkspaceSandboxSpec withNetwork = new WorkspaceSandboxSpec("test-" + UUID.randomUUID(), python, Map.of(),
                    256L << 20, 32, 0.5, 8L << 20, true,
                    List.of(new dev.cloudrun.spi.NetworkEndpoint(hostAddress, named.getLocalPort())));
            try (DockerWorkspace on = (DockerWorkspace) backend.openWorkspace(withNetwork)) {
                assertThat(backend.client().inspectContainerCmd(on.containerId()).exec().getHostConfig().getNetworkMode())
                        .isEqualTo(DockerSandboxBackend.NETWORK);
                assertThat(runToEnd(on, step).lines()).containsExactly(
                        open.getLocalPort() + " ConnectionRefusedError",
                        named.getLocalPort() + " reached",
                        "9 ConnectionRefusedError",
                        "443 reached");
            }
        }
    }

    private static String runToEnd(DockerWorkspace workspace, StepSpec step) throws Exception {
        Collected out = new Collected();
        SandboxProcess process = workspace.start(step, out);
        process.stdin().close();
        assertThat(process.await(Duration.ofSeconds(60))).isPresent();
        return out.stdout();
    }

    @Test
    void aProgramPastTheMemoryLimitIsKilledByTheKernelAndTheShellLivesOn() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "python3 -c 'a = bytearray(600 << 20); print(\"allocated\")'; echo status $?\r");
            screen.waitFor(Pattern.compile("status 137\r\n"));
            assertThat(screen.text()).doesNotContain("allocated\r\n");

            StepSpec hog = new StepSpec(StepSpec.Kind.RUN, List.of("python3", "-c", "a = bytearray(600 << 20)"), Map.of(),
                    Limits.defaults(), false);
            Collected out = new Collected();
            SandboxProcess step = workspace.start(hog, out);
            step.stdin().close();
            Optional<StepOutcome> outcome = step.await(Duration.ofSeconds(30));
            assertThat(outcome).isPresent();
            assertThat(outcome.get().exitCode()).isEqualTo(137);
            if (workspace.memoryBytes() >= 0) {
                assertThat(outcome.get().oomKilled()).as("seen in the container cgroup's oom_kill count").isTrue();
            }
            type(terminal, "echo alive $((7*6))\r");
            screen.waitFor(Pattern.compile("alive 42\r\n"));
            terminal.hangUp();
        }
    }

    @Test
    void oneHundredTerminalsAtOnceStopAtTheProcessLimitWithAClearMessage() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            List<TerminalProcess> opened = new java.util.ArrayList<>();
            Screen first = new Screen();
            RuntimeException refused = null;
            for (int i = 0; i < 100 && refused == null; i++) {
                Screen screen = i == 0 ? first : new Screen();
                try {
                    opened.add(workspace.openTerminal(80, 24, screen));
                    screen.waitFor(PROMPT);
                } catch (dev.cloudrun.CloudRunException e) {
                    refused = e;
                }
            }
            assertThat(refused).as("refused before 100 terminals").isNotNull()
                    .hasMessageContaining("cannot start a shell in the workspace").hasMessageContaining("32 processes");
            assertThat(opened.size()).isLessThan(32);
            type(opened.get(0), "echo first $((8*8))\r");
            first.waitFor(Pattern.compile("first 64\r\n"));
            for (TerminalProcess terminal : opened) {
                terminal.hangUp();
            }
        }
    }

    @Test
    void userCodeKillingEverythingItMayEndsItsOwnProcessesButNotTheWorkspace() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            int idle = workspace.processCount();
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "kill -TERM 1; kill -KILL -1\r");
            assertThat(terminal.await(Duration.ofSeconds(20))).isPresent();
            workspace.write("after.txt", "still here".getBytes(StandardCharsets.UTF_8));
            assertThat(workspace.read("after.txt")).asString(StandardCharsets.UTF_8).isEqualTo("still here");
            assertThat(workspace.processCount()).isEqualTo(idle);
            Screen again = new Screen();
            TerminalProcess next = workspace.openTerminal(80, 24, again);
            again.waitFor(PROMPT);
            next.hangUp();
        }
    }

    @Test
    void theShellsHistoryStaysOutOfTheProjectsFiles() throws Exception {
        try (DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20))) {
            Screen screen = new Screen();
            TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "echo remembered; exit\r");
            assertThat(terminal.await(Duration.ofSeconds(20))).hasValue(0);
            assertThat(workspace.list()).isEmpty();
        }
    }

    @Test
    void closeRemovesTheContainerAndEverythingInIt() throws Exception {
        DockerWorkspace workspace = (DockerWorkspace) backend.openWorkspace(spec(Map.of(), 8L << 20));
        Screen screen = new Screen();
        TerminalProcess terminal = workspace.openTerminal(80, 24, screen);
        screen.waitFor(PROMPT);
        type(terminal, "setsid sh -c 'trap \"\" HUP TERM; sleep 1000' & echo detached\r");
        screen.waitFor(Pattern.compile("detached\r\n"));
        workspace.close();
        assertThat(terminal.await(Duration.ofSeconds(20))).isPresent();
        assertThat(workspace.processCount()).isZero();
        assertThatThrownBy(() -> backend.client().inspectContainerCmd(workspace.containerId()).exec())
                .isInstanceOf(NotFoundException.class);
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    private static void type(TerminalProcess terminal, String text) throws Exception {
        terminal.input().write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A terminal's output, searchable. */
    private static final class Screen implements TerminalSink {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int consumed;

        @Override
        public synchronized void output(byte[] data, int offset, int length) {
            bytes.write(data, offset, length);
            notifyAll();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8).replace("\u001b[?2004l\r", "").replace("\u001b[?2004h", "");
        }

        synchronized void waitFor(Pattern pattern) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            java.util.regex.Matcher matcher;
            while (!(matcher = pattern.matcher(text().substring(consumed))).find()) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the terminal showed:%n%s", pattern, text()).isPositive();
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            consumed += matcher.end();
        }
    }

    /** A step's stdout and stderr. */
    private static final class Collected implements OutputSink {
        private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

        @Override
        public synchronized void accept(dev.cloudrun.StreamKind stream, byte[] buffer, int offset, int length) {
            (stream == dev.cloudrun.StreamKind.STDERR ? stderr : stdout).write(buffer, offset, length);
        }

        synchronized String stdout() {
            return stdout.toString(StandardCharsets.UTF_8);
        }

        synchronized String stderr() {
            return stderr.toString(StandardCharsets.UTF_8);
        }
    }
}
