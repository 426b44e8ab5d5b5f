package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.spi.SandboxBackend;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Terminal workspaces (issue 16): a long-lived sandbox per project with shells on pseudo-terminals
 * of its own. What a person does at a terminal works as at any terminal (prompt, commands, resize,
 * Ctrl+C, a full-screen program, {@code exit}); the files the shell sees are the ones the API reads
 * and writes; the workspace's limits hold for everything in it; and idle timeout and
 * {@link Workspace#close()} leave no process, container or mount behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class TerminalTck {
    /** What a shell prompt ends with: {@code $ } for user 1000, whatever the prompt before it. */
    private static final Pattern PROMPT = Pattern.compile("\\$ $");
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    /** Readline's bracketed-paste mode on ({@code ESC[?2004h}) and off, then a carriage return. */
    private static final Pattern BRACKETED_PASTE = Pattern.compile("\u001b\\[\\?2004h|\u001b\\[\\?2004l\r?");

    private SandboxBackend backend;
    private CodeRunner runner;

    /** @return a new backend; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now: processes, containers, mounts,
     *     folders, cgroups (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void start() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend));
    }

    @AfterAll
    void stop() {
        runner.close();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /** @return the runner on the backend under test */
    protected CodeRunner runner() {
        return runner;
    }

    /** @return the backend under test */
    protected SandboxBackend backend() {
        return backend;
    }

    @Test
    void aShellShowsItsPromptAndAnswersCommands() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "echo $((6*7))\r");
            screen.waitFor(Pattern.compile("\r\n42\r\n"));
            screen.type(terminal, "id -u; pwd; tty\r");
            screen.waitFor(Pattern.compile("\r\n1000\r\n/[^\r\n]*\r\n/dev/pts/\\d+\r\n"));
        }
    }

    @Test
    void sttySizeFollowsResize() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "stty size\r");
            screen.waitFor(Pattern.compile("\r\n24 80\r\n"));
            terminal.resize(132, 40);
            screen.type(terminal, "stty size\r");
            screen.waitFor(Pattern.compile("\r\n40 132\r\n"));
        }
    }

    @Test
    void ctrlCStopsTheForegroundProgramAndTheShellLivesOn() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "sleep 100; echo slept\r");
            Thread.sleep(300);
            long before = System.nanoTime();
            terminal.write(new byte[] {3});
            screen.type(terminal, "echo alive $((1+1))\r");
            screen.waitFor(Pattern.compile("alive 2\r\n"));
            assertThat(System.nanoTime() - before).as("Ctrl+C ended sleep 100").isLessThan(TimeUnit.SECONDS.toNanos(20));
            // The echoed command line holds the word; the output line would stand alone.
            assertThat(screen.text()).doesNotContain("\nslept\r\n");
            assertThat(terminal.isOpen()).isTrue();
        }
    }

    @Test
    void aFullScreenProgramDrawsOnTheAlternateScreen() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python")
                .withFiles(Map.of("notes.txt", "first line of the notes\n".getBytes(StandardCharsets.UTF_8))));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            // less where the image has it, else vi, else (CloudRun's slim images have neither) a curses
            // program of the image's Python: each switches to the alternate screen to draw, and q ends it.
            screen.type(terminal, "if command -v less >/dev/null; then less notes.txt; elif command -v vi >/dev/null;"
                    + " then vi notes.txt; else python3 -c 'import curses; s = curses.initscr(); curses.noecho();"
                    + " s.addstr(0, 0, open(\"notes.txt\").read()); s.refresh(); s.getch(); curses.endwin()'; fi\r");
            screen.waitFor(Pattern.compile("\u001b\\[\\?1049h"));
            screen.waitFor(Pattern.compile("first line of the notes"));
            screen.type(terminal, "q");
            screen.type(terminal, "\u001b:q!\r");
            screen.type(terminal, "echo back $((2+3))\r");
            screen.waitFor(Pattern.compile("back 5\r\n"));
        }
    }

    @Test
    void exitEndsTheShellWithItsStatus() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "exit 7\r");
            OptionalInt status = terminal.await(PATIENCE);
            assertThat(status).hasValue(7);
            assertThat(terminal.isOpen()).isFalse();
            assertThat(screen.exitStatus).isEqualTo(7);
            assertThat(workspace.isOpen()).as("the workspace outlives its terminal").isTrue();
        }
    }

    @Test
    void filesWrittenInTheShellAreTheApisAndTheReverse() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python")
                .withFiles(Map.of("main.py", "print(open('data.txt').read().upper())\n".getBytes(StandardCharsets.UTF_8))));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "mkdir -p sub && echo made in the shell > sub/made.txt && echo done-$((3*3))\r");
            screen.waitFor(Pattern.compile("done-9\r\n"));
            assertThat(new String(workspace.read("sub/made.txt"), StandardCharsets.UTF_8)).isEqualTo("made in the shell\n");
            assertThat(workspace.list()).extracting(entry -> entry.path()).contains("main.py", "sub", "sub/made.txt");

            workspace.write("data.txt", "written through the api".getBytes(StandardCharsets.UTF_8));
            screen.type(terminal, "cat data.txt; echo\r");
            screen.waitFor(Pattern.compile("\r\nwritten through the api\r\n"));

            RunResult run = workspace.run(RunRequest.of("python", workspace.read("main.py")).withMainFileName("main.py"));
            assertThat(run.status()).as(run.message()).isEqualTo(Status.OK);
            assertThat(run.stdout()).isEqualTo("WRITTEN THROUGH THE API\n");

            workspace.rename("sub/made.txt", "moved.txt");
            workspace.delete("sub");
            screen.type(terminal, "ls; echo listed\r");
            screen.waitFor(Pattern.compile("moved\\.txt[\\s\\S]*listed\r\n"));
            assertThat(workspace.list()).extracting(entry -> entry.path()).doesNotContain("sub", "sub/made.txt").contains("moved.txt");
        }
    }

    @Test
    void aRunInTheWorkspaceReadsTheShellsFilesAndWhatItWritesStaysInTheTree() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "echo 'text = open(\"made.txt\").read()' > r.py;"
                    + " echo 'open(\"out.txt\", \"w\").write(text.upper()); print(text, end=\"\")' >> r.py;"
                    + " echo hello > made.txt; echo ready-$((2*3))\r");
            screen.waitFor(Pattern.compile("ready-6\r\n"));

            RunResult result;
            try (Execution execution = workspace.startFromTree(RunRequest.of("python", workspace.read("r.py"))
                    .withMainFileName("r.py"), RunListener.NONE)) {
                result = execution.await();
            }
            assertThat(result.status()).as(result.message() + result.stderr()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("hello\n");
            assertThat(new String(workspace.read("out.txt"), StandardCharsets.UTF_8)).isEqualTo("HELLO\n");
            assertThat(workspace.list()).extracting(entry -> entry.path()).contains("r.py", "made.txt", "out.txt");
            screen.type(terminal, "cat out.txt\r");
            screen.waitFor(Pattern.compile("\r\nHELLO\r\n"));

            // start() writes the request's files first, like a save; startFromTree() left r.py as it was.
            RunResult saved = workspace.start(RunRequest.of("python", "print(open('extra.txt').read())\n")
                    .withMainFileName("tool.py").withFile("extra.txt", "from the request"), RunListener.NONE).await();
            assertThat(saved.stdout()).isEqualTo("from the request\n");
            assertThat(new String(workspace.read("tool.py"), StandardCharsets.UTF_8)).isEqualTo("print(open('extra.txt').read())\n");
            screen.type(terminal, "cat extra.txt; echo\r");
            screen.waitFor(Pattern.compile("\r\nfrom the request\r\n"));
        }
    }

    @Test
    void aRunInTheWorkspaceTakesStdinAndItsCancelAndTimeLimitEndOnlyTheRun() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            StringBuilder stdout = new StringBuilder();
            RunListener listener = new RunListener() {
                @Override
                public void onText(StreamKind stream, String text) {
                    synchronized (stdout) {
                        stdout.append(text);
                        stdout.notifyAll();
                    }
                }
            };
            String echo = "while True:\n    line = input()\n    print('got ' + line, flush=True)\n";
            Execution execution = workspace.start(RunRequest.of("python", echo).withMainFileName("echo.py")
                    .withInteractiveStdin(), listener);
            execution.writeStdin("first\n");
            awaitText(stdout, "got first\n");
            execution.writeStdin("second\n");
            awaitText(stdout, "got second\n");
            execution.cancel();
            RunResult cancelled = execution.await();
            assertThat(cancelled.status()).isEqualTo(Status.CANCELLED);

            RunResult slow = workspace.run(RunRequest.of("python", "import time\ntime.sleep(3)\nopen('late.txt', 'w').write('x')\n")
                    .withMainFileName("slow.py")
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(1))));
            assertThat(slow.status()).isEqualTo(Status.TIME_LIMIT);

            assertThat(workspace.isOpen()).isTrue();
            assertThat(terminal.isOpen()).isTrue();
            screen.type(terminal, "echo alive-$((4*5))\r");
            screen.waitFor(Pattern.compile("alive-20\r\n"));
            // The timed-out program was killed, not left to finish in the workspace.
            screen.type(terminal, "sleep 3; test -e late.txt && echo late || echo killed-$((1+1))\r");
            screen.waitFor(Pattern.compile("\r\nkilled-2\r\n"));
        }
    }

    private static void awaitText(StringBuilder text, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        synchronized (text) {
            while (!text.toString().contains(expected)) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the run wrote %s", expected, text).isPositive();
                text.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    @Test
    void severalTerminalsShareOneWorkspace() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Screen first = new Screen();
             Screen second = new Screen()) {
            Terminal one = workspace.openTerminal(80, 24, first);
            Terminal two = workspace.openTerminal(80, 24, second);
            first.waitFor(PROMPT);
            second.waitFor(PROMPT);
            first.type(one, "echo shared > shared.txt && echo wrote\r");
            first.waitFor(Pattern.compile("wrote\r\n"));
            second.type(two, "cat shared.txt\r");
            second.waitFor(Pattern.compile("\r\nshared\r\n"));
        }
    }

    @Test
    void aForkBombIsStoppedByTheProcessLimitAndTheShellLivesOn() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withMaxProcesses(64));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "python3 -c \"import os\nn=0\ntry:\n  while True:\n    if os.fork()==0:\n      import time; time.sleep(30); os._exit(0)\n    n+=1\nexcept OSError as e: print('stopped after', n, e.errno)\"\r");
            screen.waitFor(Pattern.compile("stopped after (\\d+) 11"));
            Matcher forks = Pattern.compile("stopped after (\\d+)").matcher(screen.text());
            assertThat(forks.find()).isTrue();
            assertThat(Integer.parseInt(forks.group(1))).isLessThan(64);
        }
    }

    @Test
    void aFileFillingTheDiskStopsAtTheCap() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withDiskBytes(16L << 20));
             Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "yes > big.txt; echo status $?\r");
            screen.waitFor(Pattern.compile("status 1\r\n"));
            assertThat(screen.text()).containsIgnoringCase("No space left on device");
            long size = workspace.list().stream().filter(entry -> entry.path().equals("big.txt")).findFirst().orElseThrow().size();
            assertThat(size).isLessThanOrEqualTo(16L << 20);
        }
    }

    @Test
    void aProcessIgnoringHangUpDoesNotOutliveItsWorkspace() throws Exception {
        String id;
        Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
        try (Screen screen = new Screen()) {
            id = workspace.id();
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            screen.type(terminal, "nohup sh -c 'trap \"\" HUP; sleep 1000' >/dev/null 2>&1 & echo started\r");
            screen.waitFor(Pattern.compile("started\r\n"));
            terminal.close();
            assertThat(terminal.await(PATIENCE)).isPresent();
        } finally {
            workspace.close();
        }
        assertThat(workspace.isOpen()).isFalse();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
        assertThat(id).isNotBlank();
    }

    @Test
    void anIdleWorkspaceClosesItselfAndLeavesNothing() throws Exception {
        Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withIdleTimeout(Duration.ofSeconds(2)));
        try (Screen screen = new Screen()) {
            Terminal terminal = workspace.openTerminal(80, 24, screen);
            screen.waitFor(PROMPT);
            // An open terminal keeps it alive; the idle clock starts when the last one ends.
            Thread.sleep(2500);
            assertThat(workspace.isOpen()).isTrue();
            screen.type(terminal, "exit\r");
            assertThat(terminal.await(PATIENCE)).isPresent();
        }
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (workspace.isOpen() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(workspace.isOpen()).as("closed after its idle timeout").isFalse();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /** A terminal's output as it comes, searchable. */
    protected static final class Screen implements TerminalListener, AutoCloseable {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile Integer exitStatus;

        @Override
        public synchronized void output(byte[] data) {
            bytes.writeBytes(data);
            notifyAll();
        }

        @Override
        public synchronized void exited(int status) {
            exitStatus = status;
            notifyAll();
        }

        /**
         * @return everything the terminal wrote so far, without the bracketed-paste switches that
         *     bash 5.1+ (readline 8.1+) writes around each line it reads at any terminal
         */
        public synchronized String text() {
            return BRACKETED_PASTE.matcher(bytes.toString(StandardCharsets.UTF_8)).replaceAll("");
        }

        /** Types text into the terminal. */
        void type(Terminal terminal, String text) throws InterruptedException {
            terminal.write(text.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * Waits for the pattern to appear in what the terminal wrote since the last match.
         *
         * @param pattern what to wait for
         */
        public synchronized void waitFor(Pattern pattern) throws InterruptedException {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (!pattern.matcher(text().substring(consumed)).find()) {
                long left = deadline - System.nanoTime();
                assertThat(left).as("waited for %s; the terminal showed:%n%s", pattern, text()).isPositive();
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            Matcher matcher = pattern.matcher(text().substring(consumed));
            matcher.find();
            consumed += matcher.end();
        }

        private int consumed;

        @Override
        public void close() { }
    }
}
