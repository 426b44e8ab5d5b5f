package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.internal.WorkspaceSession;
import dev.cloudrun.tck.LeakChecks;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the local backend's workspaces hold against hostile shells, beyond the terminal kit: links
 * planted in the tree lead the file API nowhere outside the sandbox, the memory cap and CPU quota
 * hold for the whole workspace, the network is off unless asked for, and paths are checked as for
 * runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalWorkspaceTest {
    private static final Pattern PROMPT = Pattern.compile("\\$ $");

    private LocalSandboxBackend backend;
    private CodeRunner runner;

    @BeforeAll
    void start() {
        backend = LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
        runner = CodeRunner.create(config -> config.backend(backend));
    }

    @AfterAll
    void stop() {
        runner.close();
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void linksPlantedInTheTreeLeadTheFileApiNowhereOutsideTheSandbox(@TempDir Path hostFolder) throws Exception {
        Path secret = Files.writeString(hostFolder.resolve("secret.txt"), "host secret");
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "ln -s " + secret + " leak.txt && ln -s " + hostFolder + " out && ln -s /etc etc && echo linked\r");
            screen.waitFor(Pattern.compile("\nlinked\r\n"));

            assertThatThrownBy(() -> workspace.read("leak.txt")).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("no such file");
            assertThatThrownBy(() -> workspace.write("out/planted.txt", "x".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> workspace.write("etc/planted", "x".getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(InvalidRequestException.class);
            workspace.delete("out");
            workspace.rename("etc", "moved");
            assertThat(Files.readString(secret)).isEqualTo("host secret");
            assertThat(hostFolder.resolve("planted.txt")).doesNotExist();
            assertThat(Path.of("/etc/planted")).doesNotExist();
            assertThat(Path.of("/moved")).doesNotExist();
            assertThat(Files.isDirectory(hostFolder)).isTrue();
            assertThat(workspace.list()).extracting(entry -> entry.path()).contains("leak.txt", "moved").doesNotContain("out", "etc");
        }
    }

    @Test
    void aProgramOverTheMemoryCapIsKilledAndTheShellLivesOn() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withMemoryBytes(64L << 20));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "python3 -c \"b = bytearray(256 << 20); print('allocated')\"; echo status $?\r");
            screen.waitFor(Pattern.compile("\nstatus (\\d+)\r\n"));
            assertThat(screen.text()).doesNotContain("\nallocated").containsPattern("\nstatus (137|1)\r\n");
            type(terminal, "echo alive $((2*2))\r");
            screen.waitFor(Pattern.compile("alive 4\r\n"));
        }
    }

    @Test
    void theCpuShareHoldsForTheWholeWorkspace() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withCpus(0.2));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            // Two busy processes for 2 s of wall time: without the quota they would use up to 4 s of CPU.
            type(terminal, "python3 -c \"import os, time\nos.fork()\nend = time.time() + 2\nwhile time.time() < end: pass\n"
                    + "print('cpu', int(time.process_time() * 1000))\"; sleep 0.5; echo finished-$((3+4))\r");
            screen.waitFor(Pattern.compile("finished-7\r\n"));
            Matcher cpu = Pattern.compile("cpu (\\d+)").matcher(screen.text());
            long total = 0;
            while (cpu.find()) {
                total += Long.parseLong(cpu.group(1));
            }
            assertThat(total).as("CPU ms of both processes in 2 s at 0.2 CPUs").isLessThan(1500);
        }
    }

    @Test
    void theNetworkIsOffUnlessAskedFor() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), 3)\" 2>&1 | tail -1; "
                    + "echo checked-$((4+4))\r");
            screen.waitFor(Pattern.compile("checked-8\r\n"));
            assertThat(screen.text()).contains("Network is unreachable");
        }
    }

    @Test
    void pathsAreCheckedAsForRuns() {
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("python").withFiles(Map.of("../x.py", new byte[0]))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("files");
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("no-such-language")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("language");
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            assertThatThrownBy(() -> workspace.read("../etc/passwd")).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("path");
            assertThatThrownBy(() -> workspace.write("/etc/passwd", new byte[0])).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("path");
            assertThatThrownBy(() -> workspace.write("a\nb", new byte[0])).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("path");
            workspace.write("a/b.txt", new byte[] {1});
            assertThatThrownBy(() -> workspace.rename("a", "a/c")).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("to");
            assertThatThrownBy(() -> workspace.read("missing.txt")).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("no such file");
            assertThatThrownBy(() -> workspace.openTerminal(0, 24, data -> { })).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("columns");
        }
    }

    @Test
    void aFileWrittenThroughTheApiKeepsTheModeTheShellGaveIt() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "printf 'echo one\\n' > run.sh && chmod 750 run.sh && echo made-$((1+1))\r");
            screen.waitFor(Pattern.compile("made-2\r\n"));
            workspace.write("run.sh", "echo two-$((2*3))\n".getBytes(StandardCharsets.UTF_8));
            workspace.write("new.txt", "plain".getBytes(StandardCharsets.UTF_8));
            type(terminal, "./run.sh; stat -c '%a %n' run.sh new.txt\r");
            screen.waitFor(Pattern.compile("\r\ntwo-6\r\n750 run.sh\r\n644 new.txt\r\n"));
        }
    }

    @Test
    void aWriteOverTheDiskCapFailsAndLeavesTheOldFile() {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withDiskBytes(4L << 20))) {
            workspace.write("data.bin", "old".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> workspace.write("data.bin", new byte[8 << 20])).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("full");
            assertThat(workspace.read("data.bin")).isEqualTo("old".getBytes(StandardCharsets.UTF_8));
            assertThat(workspace.list()).extracting(entry -> entry.path()).containsExactly("data.bin");
        }
    }

    @Test
    void aRunKeepsTheWorkspaceOpenAndTheIdleClockStartsWhenItEnds() throws Exception {
        Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withIdleTimeout(Duration.ofSeconds(1)));
        try {
            RunResult run = workspace.run(RunRequest.of("python", "import time\ntime.sleep(2.5)\nprint('ran', 6 * 7)\n"));
            assertThat(run.status()).as(run.message()).isEqualTo(Status.OK);
            assertThat(run.stdout()).isEqualTo("ran 42\n");
            assertThat(workspace.isOpen()).as("open after a run longer than the idle timeout").isTrue();
            await().atMost(Duration.ofSeconds(20)).until(() -> !workspace.isOpen());
            assertThatThrownBy(() -> workspace.list()).isInstanceOf(CloudRunException.class).hasMessageContaining("closed");
        } finally {
            workspace.close();
        }
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void theMaximumLifetimeEndsAWorkspaceEvenWithATerminalOpen() throws Exception {
        Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withMaxLifetime(Duration.ofSeconds(2)));
        try (Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            await().atMost(Duration.ofSeconds(20)).until(() -> !workspace.isOpen());
            assertThat(terminal.await(Duration.ofSeconds(20))).isPresent();
            assertThat(terminal.isOpen()).isFalse();
        } finally {
            workspace.close();
        }
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void aFloodOfOutputStopsAtCtrlCAndTheTerminalsAreCapped() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            type(terminal, "yes flooding\r");
            screen.waitFor(Pattern.compile("(flooding\r\n){1000}"));
            terminal.write(new byte[] {3});
            type(terminal, "echo calm-$((5*5))\r");
            screen.waitFor(Pattern.compile("calm-25\r\n"));

            List<Terminal> more = new ArrayList<>();
            for (int i = 1; i < WorkspaceSession.MAX_TERMINALS; i++) {
                more.add(workspace.openTerminal(80, 24, data -> { }));
            }
            assertThatThrownBy(() -> workspace.openTerminal(80, 24, data -> { })).isInstanceOf(CloudRunException.class)
                    .hasMessageContaining("terminals open");
            more.get(0).close();
            assertThat(more.get(0).await(Duration.ofSeconds(20))).isPresent();
            workspace.openTerminal(80, 24, data -> { }).close();
        }
    }

    /**
     * Keystrokes sent at the earliest moment (right after {@code openTerminal}, one key per write, and
     * again right at the first prompt) all reach the shell, and the line is echoed once: by the shell,
     * not also by the host's pseudo-terminal before {@code script} made it raw.
     */
    @Test
    void keysTypedTheMomentATerminalOpensAllReachTheShellAndAreEchoedOnce() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            for (int round = 1; round <= 40; round++) {
                boolean atPrompt = round > 20;
                try (Screen screen = new Screen()) {
                    Terminal terminal = workspace.openTerminal(80, 24, screen);
                    if (atPrompt) {
                        screen.waitFor(PROMPT);
                    }
                    String word = "k" + round + "abcdefghijklmnopqrstuvwxyz";
                    for (byte key : ("echo " + word + "-$((6*7))\r").getBytes(StandardCharsets.UTF_8)) {
                        terminal.write(new byte[] {key});
                    }
                    screen.waitFor(Pattern.compile("\r\n" + word + "-42\r\n"));
                    assertThat(occurrences(screen.text(), "echo " + word)).as("echoes of the line in round %d:%n%s", round,
                            screen.text()).isEqualTo(1);
                    terminal.close();
                }
            }
        }
    }

    /**
     * Ctrl+C and a line past the pseudo-terminal's 4095-byte canonical limit, typed while the shell
     * starts, are the shell's: the line arrives whole, and Ctrl+C interrupts the shell's line instead
     * of ending the sandbox around it.
     */
    @Test
    void ctrlCAndALongLineTypedWhileTheShellStartsAreTheShells() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            try (Screen screen = new Screen()) {
                Terminal terminal = workspace.openTerminal(80, 24, screen);
                type(terminal, "echo " + "x".repeat(5000) + " | wc -c\r");
                screen.waitFor(Pattern.compile("\r\n5001\r\n"));
            }
            try (Screen screen = new Screen()) {
                Terminal terminal = workspace.openTerminal(80, 24, screen);
                terminal.write(new byte[] {3});
                // A terminal discards what is typed between Ctrl+C and its handling, so the next line waits for it.
                screen.waitFor(Pattern.compile("\\^C[\\s\\S]*\\$ $"));
                type(terminal, "echo alive-$((6*7))\r");
                screen.waitFor(Pattern.compile("\r\nalive-42\r\n"));
                assertThat(terminal.isOpen()).as("Ctrl+C went to the shell, not to the sandbox around it").isTrue();
            }
        }
    }

    /**
     * A process that leaves its shell's session ({@code setsid nohup}, SIGHUP ignored) still ends with
     * that shell, whether the shell is hung up or exits: the shell's pid namespace and cgroup go with
     * it. The workspace and its other shells carry on.
     */
    @Test
    void aProcessThatLeftItsShellsSessionEndsWithThatShellAndTheOtherShellsGoOn() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen first = new Screen();
             Screen second = new Screen();
             Screen third = new Screen()) {
            Terminal hungUp = workspace.openTerminal(80, 24, first);
            Terminal exiting = workspace.openTerminal(80, 24, second);
            Terminal staying = workspace.openTerminal(80, 24, third);
            first.waitFor(PROMPT);
            second.waitFor(PROMPT);
            third.waitFor(PROMPT);
            String hungUpSleep = "4321." + ProcessHandle.current().pid();
            String exitingSleep = "4322." + ProcessHandle.current().pid();
            type(hungUp, "setsid nohup sh -c 'trap \"\" HUP; sleep " + hungUpSleep + "' >/dev/null 2>&1 </dev/null & echo started\r");
            type(exiting, "setsid nohup sleep " + exitingSleep + " >/dev/null 2>&1 </dev/null & echo started\r");
            first.waitFor(Pattern.compile("started\r\n"));
            second.waitFor(Pattern.compile("started\r\n"));
            await().atMost(Duration.ofSeconds(10)).until(() -> hostProcesses(hungUpSleep) == 1 && hostProcesses(exitingSleep) == 1);

            hungUp.close();
            assertThat(hungUp.await(Duration.ofSeconds(20))).isPresent();
            type(exiting, "exit\r");
            assertThat(exiting.await(Duration.ofSeconds(20))).isPresent();
            await().atMost(Duration.ofSeconds(10)).until(() -> hostProcesses(hungUpSleep) == 0 && hostProcesses(exitingSleep) == 0);

            assertThat(workspace.isOpen()).isTrue();
            type(staying, "echo still-$((6*7))\r");
            third.waitFor(Pattern.compile("\r\nstill-42\r\n"));
        }
    }

    /** @return how many {@code sleep} processes on this host (in any sandbox) sleep for exactly that argument */
    private static long hostProcesses(String sleepArgument) {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(process -> process.info().command().orElse("").endsWith("/sleep")
                        && java.util.Arrays.equals(process.info().arguments().orElse(new String[0]), new String[] {sleepArgument}))
                .count();
    }

    private static int occurrences(String text, String part) {
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            count++;
        }
        return count;
    }

    private static void type(Terminal terminal, String text) {
        terminal.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A terminal's output as it comes, searchable. */
    private static final class Screen implements TerminalListener, AutoCloseable {
        private static final Pattern BRACKETED_PASTE = Pattern.compile("\u001b\\[\\?2004h|\u001b\\[\\?2004l\r?");
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int consumed;

        @Override
        public synchronized void output(byte[] data) {
            bytes.writeBytes(data);
            notifyAll();
        }

        synchronized String text() {
            return BRACKETED_PASTE.matcher(bytes.toString(StandardCharsets.UTF_8)).replaceAll("");
        }

        synchronized void waitFor(Pattern pattern) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Matcher matcher = pattern.matcher(text().substring(consumed));
            while (!matcher.find()) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the terminal showed:%n%s", pattern, text()).isPositive();
                TimeUnit.NANOSECONDS.timedWait(this, left);
                matcher = pattern.matcher(text().substring(consumed));
            }
            consumed += matcher.end();
        }

        @Override
        public void close() { }
    }
}
