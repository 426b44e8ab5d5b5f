package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CellResult;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Interpreter;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunListener;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.spi.SandboxBackend;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Stateful interpreters in a workspace (issue 17, item 3): cells of Python that share one
 * interpreter's state, with each cell's output, traceback, time limit and crash reported as a
 * notebook agent needs, and a fresh interpreter after one ended. The tests share one workspace, each
 * with interpreters of its own, except where a limit of the workspace is the point.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class InterpreterTck {
    private static final Duration CELL_TIME = Duration.ofSeconds(20);

    private SandboxBackend backend;
    private CodeRunner runner;
    private Workspace workspace;

    /** @return a new backend; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void start() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend));
        workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
    }

    @AfterAll
    void stop() {
        workspace.close();
        runner.close();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @Test
    void variablesImportsFunctionsAndTheWorkingDirectoryLastFromCellToCell() {
        try (Interpreter python = workspace.openInterpreter("py")) {
            assertThat(python.language()).isEqualTo("python");
            assertThat(python.isAlive()).isFalse();
            CellResult first = ok(python, "x = 41");
            assertThat(first.restarted()).isFalse();
            assertThat(first.value()).isEmpty();
            assertThat(python.isAlive()).isTrue();
            assertThat(ok(python, "print(x + 1)").stdout()).isEqualTo("42\n");
            ok(python, "import math\ndef area(r):\n    return math.pi * r * r\nimport os\nos.makedirs('sub', exist_ok=True)\nos.chdir('sub')");
            CellResult value = ok(python, "round(area(2), 3)");
            assertThat(value.value()).hasValue("12.566");
            assertThat(value.stdout()).as("the value is not printed").isEmpty();
            assertThat(ok(python, "print(_ + 1, os.path.basename(os.getcwd()))").stdout()).isEqualTo("13.566 sub\n");
            assertThat(ok(python, "import __main__\nprint(__name__, __main__.x)").stdout()).isEqualTo("__main__ 41\n");
        }
    }

    @Test
    void aCellsStdoutAndStderrStreamToItsListenerAndComeBackInTheResult() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            Heard heard = new Heard();
            CellResult result = python.execute("import sys\nprint('out 1')\nsys.stderr.write('err 1\\n')\nprint('out 2')",
                    CELL_TIME, heard);
            assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("out 1\nout 2\n");
            assertThat(result.stderr()).isEqualTo("err 1\n");
            assertThat(heard.text(StreamKind.STDOUT)).isEqualTo("out 1\nout 2\n");
            assertThat(heard.text(StreamKind.STDERR)).isEqualTo("err 1\n");
            assertThat(heard.bytes).isEqualTo("out 1\nout 2\n".length() + "err 1\n".length());
        }
    }

    @Test
    void anUncaughtExceptionGivesPythonsTracebackAndTheStateStays() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "y = 5\ndef divide(a, b):\n    return a / b");
            CellResult failed = python.execute("print('before')\ndivide(y, 0)", CELL_TIME);
            assertThat(failed.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(failed.error()).hasValue("ZeroDivisionError");
            assertThat(failed.interpreterEnded()).isFalse();
            assertThat(failed.stdout()).isEqualTo("before\n");
            assertThat(failed.stderr()).startsWith("Traceback (most recent call last):\n  File \"<cell 2>\", line 2, in <module>\n")
                    .contains("  File \"<cell 1>\", line 3, in divide\n    return a / b\n")
                    .endsWith("ZeroDivisionError: division by zero\n")
                    .doesNotContain("cloudrun-interpreter");
            CellResult after = ok(python, "print(y * 2)");
            assertThat(after.stdout()).isEqualTo("10\n");
            assertThat(after.restarted()).isFalse();
        }
    }

    @Test
    void aSyntaxErrorIsReportedAsPythonDoesAndNothingOfTheCellRuns() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "z = 1");
            CellResult failed = python.execute("z = 2\nx = = 1", CELL_TIME);
            assertThat(failed.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(failed.error()).hasValue("SyntaxError");
            assertThat(failed.stderr()).startsWith("  File \"<cell 2>\", line 2\n    x = = 1\n").contains("SyntaxError: invalid syntax")
                    .doesNotContain("Traceback");
            assertThat(ok(python, "print(z)").stdout()).isEqualTo("1\n");
        }
    }

    @Test
    void inputInACellReadsEndOfFileAndSysExitKeepsTheState() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "kept = 'yes'");
            CellResult input = python.execute("input('name? ')", CELL_TIME);
            assertThat(input.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(input.error()).hasValue("EOFError");
            CellResult exit = python.execute("import sys\nsys.exit(2)", CELL_TIME);
            assertThat(exit.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(exit.exitCode()).isEqualTo(2);
            assertThat(exit.interpreterEnded()).isFalse();
            assertThat(ok(python, "print(kept)").stdout()).isEqualTo("yes\n");
        }
    }

    @Test
    void aCellOverItsTimeLimitEndsTheInterpreterAndTheNextCellStartsAFreshOne() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "x = 1");
            CellResult slow = python.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)", Duration.ofSeconds(1));
            assertThat(slow.status()).isEqualTo(Status.TIME_LIMIT);
            assertThat(slow.interpreterEnded()).isTrue();
            assertThat(slow.stdout()).isEqualTo("sleeping\n");
            assertThat(slow.message()).contains("time limit");
            assertThat(python.isAlive()).isFalse();
            CellResult fresh = ok(python, "print('x' in dir())");
            assertThat(fresh.stdout()).isEqualTo("False\n");
            assertThat(fresh.restarted()).isTrue();
            assertThat(fresh.message()).contains("fresh interpreter").contains("time limit");
            assertThat(ok(python, "print('again')").restarted()).isFalse();
        }
    }

    @Test
    void aCellThatEndsTheProcessSaysHowAndTheNextStartsFresh() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "x = 1");
            CellResult crashed = python.execute("import os\nprint('last words', end='', flush=True)\nos._exit(3)", CELL_TIME);
            assertThat(crashed.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(crashed.exitCode()).isEqualTo(3);
            assertThat(crashed.interpreterEnded()).isTrue();
            assertThat(crashed.stdout()).isEqualTo("last words");
            assertThat(crashed.message()).contains("exited with code 3");
            CellResult fresh = ok(python, "print('x' in dir())");
            assertThat(fresh.stdout()).isEqualTo("False\n");
            assertThat(fresh.restarted()).isTrue();

            CellResult segfault = python.execute("import ctypes\nctypes.string_at(0)", CELL_TIME);
            assertThat(segfault.status()).isEqualTo(Status.RUNTIME_ERROR);
            assertThat(segfault.signal()).isEqualTo(11);
            assertThat(segfault.interpreterEnded()).isTrue();
        }
    }

    @Test
    void anInterpreterThatEndsBetweenCellsIsReplacedAtTheNextCell() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "import os, threading\nx = 1\nthreading.Timer(0.2, lambda: os._exit(5)).start()");
            await().atMost(Duration.ofSeconds(20)).until(() -> !python.isAlive());
            CellResult fresh = ok(python, "print('x' in dir())");
            assertThat(fresh.stdout()).isEqualTo("False\n");
            assertThat(fresh.restarted()).isTrue();
            assertThat(fresh.message()).contains("ended between cells").contains("exited with code 5");
        }
    }

    @Test
    void aProcessTheCellForksDoesNotReportAsTheInterpreter() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            CellResult forked = ok(python, "import os\npid = os.fork()\nif pid == 0:\n    print('child', flush=True)\n"
                    + "else:\n    os.waitpid(pid, 0)\n    print('parent')");
            assertThat(forked.stdout()).isEqualTo("child\nparent\n");
            CellResult next = ok(python, "print(pid > 0, os.getpid() != pid)");
            assertThat(next.stdout()).isEqualTo("True True\n");
            assertThat(next.restarted()).isFalse();
        }
    }

    @Test
    void whatAThreadOfAnEarlierCellPrintsLaterGoesToTheNextCell() throws Exception {
        try (Interpreter python = workspace.openInterpreter("python")) {
            ok(python, "import threading, time\nworker = threading.Thread(target=lambda: (time.sleep(0.2), print('late', flush=True)))\n"
                    + "worker.start()");
            Thread.sleep(500);
            Heard heard = new Heard();
            CellResult next = python.execute("worker.join()\nprint('joined')", CELL_TIME, heard);
            assertThat(next.status()).as(next.message()).isEqualTo(Status.OK);
            assertThat(next.stdout()).isEqualTo("late\njoined\n");
            assertThat(heard.text(StreamKind.STDOUT)).isEqualTo("late\njoined\n");
        }
    }

    @Test
    void aForkBombInACellStopsAtTheWorkspacesProcessLimitAndTheInterpreterLivesOn() {
        try (Workspace small = runner.openWorkspace(WorkspaceSpec.of("python").withMaxProcesses(48));
             Interpreter python = small.openInterpreter("python")) {
            CellResult bomb = ok(python, "import os, time\nforked = 0\ntry:\n    while True:\n        if os.fork() == 0:\n"
                    + "            time.sleep(30)\n            os._exit(0)\n        forked += 1\nexcept OSError as e:\n"
                    + "    print('stopped', e.errno)");
            assertThat(bomb.stdout()).isEqualTo("stopped 11\n");
            // The workspace's 48, and on Docker the few processes of the container's own beside them.
            int forked = Integer.parseInt(ok(python, "print(forked)").stdout().strip());
            assertThat(forked).isBetween(1, 48 + 8);
        }
    }

    @Test
    void memoryIsTheWorkspacesLimitAndAnOutOfMemoryKillEndsOnlyTheInterpreter() {
        try (Workspace small = runner.openWorkspace(WorkspaceSpec.of("python").withMemoryBytes(128L << 20));
             Interpreter python = small.openInterpreter("python")) {
            ok(python, "kept = 1");
            CellResult refused = python.execute("too_big = bytearray(1 << 50)", CELL_TIME);
            assertThat(refused.status()).as("a MemoryError is raised, the state stays").isEqualTo(Status.MEMORY_LIMIT);
            assertThat(refused.error()).hasValue("MemoryError");
            assertThat(refused.interpreterEnded()).isFalse();
            assertThat(ok(python, "print(kept)").stdout()).isEqualTo("1\n");

            CellResult killed = python.execute("filled = b'x' * (400 << 20)", CELL_TIME);
            assertThat(killed.status()).as(killed.message()).isEqualTo(Status.MEMORY_LIMIT);
            assertThat(killed.interpreterEnded()).isTrue();
            CellResult fresh = ok(python, "print('kept' in dir())");
            assertThat(fresh.stdout()).isEqualTo("False\n");
            assertThat(fresh.restarted()).isTrue();
            assertThat(small.isOpen()).isTrue();
        }
    }

    @Test
    void outputWithoutANewLineAndLinesThatLookLikeMarkersComeThroughAsWritten() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            assertThat(ok(python, "print('no new line', end='')").stdout()).isEqualTo("no new line");
            String forged = "\\0cloudrun-0123456789abcdef0123456789abcdef|1 5\\nhello";
            assertThat(ok(python, "print('" + forged + "')").stdout())
                    .isEqualTo("\0cloudrun-0123456789abcdef0123456789abcdef|1 5\nhello\n");
            CellResult partial = ok(python, "import sys\nsys.stdout.write('\\0cloudr')\nsys.stderr.write('\\0')");
            assertThat(partial.stdout()).isEqualTo("\0cloudr");
            assertThat(partial.stderr()).isEqualTo("\0");
            assertThat(ok(python, "print('\\u00e9t\\u00e9 \\u2603')").stdout()).isEqualTo("\u00e9t\u00e9 \u2603\n");
        }
    }

    @Test
    void aCellOverTheOutputLimitIsStopped() {
        try (Interpreter python = workspace.openInterpreter("python")) {
            CellResult flood = python.execute("while True:\n    print('y' * 1000)", CELL_TIME);
            assertThat(flood.status()).isEqualTo(Status.OUTPUT_LIMIT);
            assertThat(flood.interpreterEnded()).isTrue();
            assertThat(flood.stdout().length()).isLessThanOrEqualTo(1 << 20).isGreaterThan(1000);
            assertThat(ok(python, "print('after')").restarted()).isTrue();
        }
    }

    @Test
    void aCellReadsTheWorkspacesFilesAndWhatItWritesIsInTheTree() {
        workspace.write("cells/data.txt", "written through the api".getBytes(StandardCharsets.UTF_8));
        try (Interpreter python = workspace.openInterpreter("python")) {
            assertThat(ok(python, "open('cells/data.txt').read().upper()").value()).hasValue("'WRITTEN THROUGH THE API'");
            ok(python, "with open('cells/out.txt', 'w') as f:\n    f.write('from the cell')");
            assertThat(new String(workspace.read("cells/out.txt"), StandardCharsets.UTF_8)).isEqualTo("from the cell");
        }
        assertThat(workspace.list()).extracting(entry -> entry.path())
                .as("the interpreter leaves no file of its own in the tree")
                .noneMatch(path -> path.contains("cloudrun"));
    }

    @Test
    void closingTheInterpreterKillsItAndWhatItStarted() throws Exception {
        Interpreter python = workspace.openInterpreter("python");
        ok(python, "import subprocess\nchild = subprocess.Popen(['sh', '-c', 'sleep 2; echo late > late-child.txt'])");
        python.close();
        assertThat(python.isAlive()).isFalse();
        assertThatThrownBy(() -> python.execute("1", CELL_TIME)).isInstanceOf(CloudRunException.class)
                .hasMessageContaining("closed");
        Thread.sleep(3000);
        assertThat(workspace.list()).extracting(entry -> entry.path()).doesNotContain("late-child.txt");
        assertThat(workspace.isOpen()).isTrue();
    }

    @Test
    void closingTheInterpreterDuringACellEndsTheCellCancelled() throws Exception {
        Interpreter python = workspace.openInterpreter("python");
        CountDownLatch started = new CountDownLatch(1);
        StringBuilder seen = new StringBuilder();
        RunListener listener = new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                // print may write the line and its newline apart: wait for the whole line.
                synchronized (seen) {
                    seen.append(text);
                    if (seen.toString().contains("started\n")) {
                        started.countDown();
                    }
                }
            }
        };
        CompletableFuture<CellResult> cell = CompletableFuture.supplyAsync(() ->
                python.execute("import time\nprint('started', flush=True)\ntime.sleep(60)", Duration.ofSeconds(90), listener));
        assertThat(started.await(20, TimeUnit.SECONDS)).as("the cell started").isTrue();
        python.close();
        CellResult result = cell.get(20, TimeUnit.SECONDS);
        assertThat(result.status()).isEqualTo(Status.CANCELLED);
        assertThat(result.interpreterEnded()).isTrue();
        assertThat(result.stdout()).isEqualTo("started\n");
        assertThat(python.isAlive()).isFalse();
    }

    @Test
    void closingTheWorkspaceEndsItsInterpreter() {
        Workspace own = runner.openWorkspace(WorkspaceSpec.of("python"));
        Interpreter python = own.openInterpreter("python");
        ok(python, "x = 1");
        own.close();
        // The run's end is told once its process has been reaped, soon after close returns.
        await().atMost(Duration.ofSeconds(20)).until(() -> !python.isAlive());
        assertThatThrownBy(() -> python.execute("print(x)", CELL_TIME)).isInstanceOf(CloudRunException.class)
                .hasMessageContaining("closed");
        python.close();
    }

    @Test
    void badArgumentsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> workspace.openInterpreter("cpp")).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("language")).hasMessageContaining("no stateful interpreter");
        assertThatThrownBy(() -> workspace.openInterpreter("cobol")).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("language"));
        try (Interpreter python = workspace.openInterpreter("python")) {
            assertThatThrownBy(() -> python.execute("1", Duration.ZERO)).isInstanceOfSatisfying(InvalidRequestException.class,
                    e -> assertThat(e.field()).isEqualTo("timeLimit"));
            assertThatThrownBy(() -> python.execute("1", Duration.ofDays(1))).isInstanceOfSatisfying(InvalidRequestException.class,
                    e -> assertThat(e.field()).isEqualTo("timeLimit"));
            assertThatThrownBy(() -> python.execute("x" + "\ud800", CELL_TIME)).isInstanceOfSatisfying(InvalidRequestException.class,
                    e -> assertThat(e.field()).isEqualTo("code"));
            assertThatThrownBy(() -> python.execute(null, CELL_TIME)).isInstanceOfSatisfying(InvalidRequestException.class,
                    e -> assertThat(e.field()).isEqualTo("code"));
            assertThat(python.isAlive()).as("nothing started").isFalse();
        }
    }

    private static CellResult ok(Interpreter python, String code) {
        CellResult result = python.execute(code, CELL_TIME);
        assertThat(result.status()).as("%s%n%s", result.message(), result.stderr()).isEqualTo(Status.OK);
        return result;
    }

    /** What a cell's listener heard. */
    private static final class Heard implements RunListener {
        private final List<String> stdout = new ArrayList<>();
        private final List<String> stderr = new ArrayList<>();
        private int bytes;

        @Override
        public synchronized void onOutput(StreamKind stream, byte[] chunk) {
            bytes += chunk.length;
        }

        @Override
        public synchronized void onText(StreamKind stream, String text) {
            (stream == StreamKind.STDOUT ? stdout : stderr).add(text);
        }

        synchronized String text(StreamKind stream) {
            return String.join("", stream == StreamKind.STDOUT ? stdout : stderr);
        }
    }
}
