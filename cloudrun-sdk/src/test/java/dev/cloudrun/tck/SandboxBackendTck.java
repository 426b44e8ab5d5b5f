package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.NetworkEndpoint;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every sandbox backend must show. Subclass it per backend: implement
 * {@link #createBackend()} and {@link #leftovers(SandboxBackend)}. After every test the kit checks
 * that the backend left nothing behind (processes, cgroups, folders, containers, ...), and after
 * the last one that no CloudRun thread survives the runner.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class SandboxBackendTck {
    private static final long MIB = 1024L * 1024L;

    private SandboxBackend backend;
    /** The runner under test; subclasses may use it for backend-specific tests. */
    protected CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void startRunner() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(10));
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @AfterAll
    void closeRunnerAndCheckThreads() {
        runner.close();
        LeakChecks.assertNoCloudRunThreads();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /** Runs a request and returns its result. */
    protected RunResult run(RunRequest request) {
        return runner.run(request);
    }

    // ---------------------------------------------------------------- languages

    static Stream<Arguments> helloWorlds() {
        return Stream.of(
                Arguments.of("python", "print('Hello, CloudRun!')"),
                Arguments.of("javascript", "console.log('Hello, CloudRun!');"),
                Arguments.of("java", "public class Greeter {\n  public static void main(String[] a) {\n"
                        + "    System.out.println(\"Hello, CloudRun!\");\n  }\n}\n"),
                Arguments.of("cpp", "#include <iostream>\nint main() { std::cout << \"Hello, CloudRun!\" << std::endl; }\n"),
                Arguments.of("c", "#include <stdio.h>\nint main(void) { puts(\"Hello, CloudRun!\"); return 0; }\n"),
                Arguments.of("bash", "echo 'Hello, CloudRun!'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("helloWorlds")
    void helloWorldInEveryLanguage(String language, String source) {
        List<Phase> phases = new CopyOnWriteArrayList<>();
        RunResult result = runner.run(RunRequest.of(language, source), new RunListener() {
            @Override
            public void onPhase(Phase phase) {
                phases.add(phase);
            }
        });

        assertThat(result.status()).as(result.message() + "\n" + result.stderr() + result.compilerOutput())
                .isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("Hello, CloudRun!\n");
        assertThat(result.exitCode()).isZero();
        assertThat(result.language()).isEqualTo(language);
        boolean compiled = runner.languages().require(language).isCompiled();
        assertThat(phases).containsExactlyElementsOf(compiled
                ? List.of(Phase.QUEUED, Phase.COMPILING, Phase.RUNNING, Phase.FINISHED)
                : List.of(Phase.QUEUED, Phase.RUNNING, Phase.FINISHED));
    }

    @Test
    void measuresCpuTimeAndPeakMemoryFromTheKernel() {
        RunResult result = run(RunRequest.of("python",
                "data = bytearray(b'x' * (48 * 1024 * 1024))\nn = 0\nfor i in range(3_000_000):\n    n += i\nprint(n)"));

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.memoryBytes()).as("peak memory").isGreaterThan(48 * MIB);
        assertThat(result.cpuTime()).as("cpu time").isGreaterThan(Duration.ofMillis(50));
        assertThat(result.wallTime()).isGreaterThanOrEqualTo(Duration.ofMillis(50));
    }

    // ---------------------------------------------------------------- stdin

    @Test
    void stdinGivenWhole() {
        RunResult result = run(RunRequest.of("python", "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))")
                .withStdin("1 2 3\n4 5\n"));

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("15\n");
    }

    @Test
    void programWithoutStdinReadsEndOfFile() {
        RunResult result = run(RunRequest.of("python", "import sys\nprint(repr(sys.stdin.read()))"));

        assertThat(result.stdout()).isEqualTo("''\n");
    }

    @Test
    void interactiveStdinPromptWaitReadAnswer() throws Exception {
        CountDownLatch prompted = new CountDownLatch(1);
        CountDownLatch answered = new CountDownLatch(1);
        StringBuilder text = new StringBuilder();
        RunListener listener = new RunListener() {
            @Override
            public void onText(StreamKind stream, String chunk) {
                synchronized (text) {
                    text.append(chunk);
                    if (text.toString().contains("Name? ")) {
                        prompted.countDown();
                    }
                    if (text.toString().contains("Hello, Ada!")) {
                        answered.countDown();
                    }
                }
            }
        };
        String program = "import sys\nname = input('Name? ')\nprint(f'Hello, {name}!', flush=True)\n"
                + "rest = sys.stdin.read()\nprint(f'then {len(rest)} bytes until EOF')\n";
        try (Execution execution = runner.start(RunRequest.of("python", program).withInteractiveStdin(), listener)) {
            assertThat(prompted.await(30, TimeUnit.SECONDS)).as("prompt shown").isTrue();
            assertThat(execution.phase()).isEqualTo(Phase.RUNNING);
            execution.writeStdin("Ada\n");
            assertThat(answered.await(10, TimeUnit.SECONDS)).as("answer shown").isTrue();
            assertThat(execution.result()).isNotDone();
            execution.writeStdin("more\n");
            execution.writeStdin("é\n");
            execution.closeStdin();
            RunResult result = execution.await(Duration.ofSeconds(30)).orElseThrow();

            assertThat(result.status()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("Name? Hello, Ada!\nthen 7 bytes until EOF\n");
        }
    }

    // ---------------------------------------------------------------- output

    @Test
    void stdoutAndStderrStayApartAndInOrder() {
        List<String> stdoutChunks = new CopyOnWriteArrayList<>();
        List<String> stderrChunks = new CopyOnWriteArrayList<>();
        String program = "import sys\nfor i in range(50):\n    print(f'out{i}', flush=True)\n"
                + "    print(f'err{i}', file=sys.stderr, flush=True)\n";
        RunResult result = runner.run(RunRequest.of("python", program), new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                (stream == StreamKind.STDOUT ? stdoutChunks : stderrChunks).add(text);
            }
        });

        StringBuilder expectedOut = new StringBuilder();
        StringBuilder expectedErr = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            expectedOut.append("out").append(i).append('\n');
            expectedErr.append("err").append(i).append('\n');
        }
        assertThat(result.stdout()).isEqualTo(expectedOut.toString());
        assertThat(result.stderr()).isEqualTo(expectedErr.toString());
        assertThat(String.join("", stdoutChunks)).isEqualTo(expectedOut.toString());
        assertThat(String.join("", stderrChunks)).isEqualTo(expectedErr.toString());
    }

    @Test
    void multiByteUtf8SplitAcrossChunksDecodesCorrectly() {
        List<String> texts = new CopyOnWriteArrayList<>();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        String expected = "héllo €uro 😀 ünïcödé\n";
        String program = "import sys, time\ndata = '" + expected.replace("\n", "\\n") + "'.encode('utf-8')\n"
                + "for b in data:\n    sys.stdout.buffer.write(bytes([b]))\n    sys.stdout.buffer.flush()\n"
                + "    time.sleep(0.002)\n";
        RunResult result = runner.run(RunRequest.of("python", program), new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) {
                synchronized (raw) {
                    raw.write(chunk, 0, chunk.length);
                }
            }

            @Override
            public void onText(StreamKind stream, String text) {
                texts.add(text);
            }
        });

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(raw.toByteArray()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8));
        assertThat(String.join("", texts)).isEqualTo(expected).doesNotContain("\uFFFD");
        assertThat(result.stdout()).isEqualTo(expected);
    }

    @Test
    void outputLimitStopsAnEndlessPrinterSoonAfterTheCap() throws Exception {
        long cap = 64 * 1024;
        AtomicLong seen = new AtomicLong();
        AtomicLong crossedAt = new AtomicLong();
        CompletableFuture<Long> finishedAt = new CompletableFuture<>();
        RunRequest request = RunRequest.of("python", "while True:\n    print('x' * 999)")
                .withLimits(limits -> limits.withMaxOutputBytes(cap).withWallTime(Duration.ofSeconds(30))
                        .withCpuTime(Duration.ofSeconds(30)));
        RunResult result = runner.run(request, new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) {
                if (seen.addAndGet(chunk.length) >= cap) {
                    crossedAt.compareAndSet(0, System.nanoTime());
                }
            }

            @Override
            public void onPhase(Phase phase) {
                if (phase == Phase.FINISHED) {
                    finishedAt.complete(System.nanoTime());
                }
            }
        });

        assertThat(result.status()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(result.stdoutBytes()).hasSize((int) cap);
        assertThat(result.stdoutTruncated()).isTrue();
        assertThat(seen.get()).isEqualTo(cap);
        // A CPU-bound printer that kept running would keep burning CPU: the kernel's count shows it was stopped.
        assertThat(result.cpuTime()).as("CPU time of the printer").isLessThan(Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(finishedAt.get(1, TimeUnit.SECONDS) - crossedAt.get()))
                .as("from crossing the cap to the end of the run, clean-up included")
                .isLessThan(Duration.ofSeconds(5));
    }

    // ---------------------------------------------------------------- exit codes and signals

    @Test
    void exitCodeIsReported() {
        RunResult result = run(RunRequest.of("bash", "echo bye; exit 3"));

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.signal()).isEmpty();
        assertThat(result.message()).contains("exited with code 3");
    }

    @Test
    void deathBySignalIsReported() {
        RunResult result = run(RunRequest.of("c", "#include <signal.h>\nint main(void) { raise(SIGSEGV); return 0; }\n"));

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.signal()).contains(11);
        assertThat(result.message()).contains("SIGSEGV");
    }

    @Test
    void aSyntaxErrorInThePythonProgramIsACompileErrorButOneRaisedWhileItRunsIsNot() {
        RunResult own = run(RunRequest.of("python", "print('never')\nprint(\"Hello\"\n"));

        assertThat(own.status()).as(own.stderr()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(own.stdout()).isEmpty();
        assertThat(own.stderr()).contains("main.py\", line 2").contains("SyntaxError: '(' was never closed");
        assertThat(own.message()).contains("syntax error");

        RunResult indented = run(RunRequest.of("python", "if True:\nprint('x')\n"));
        assertThat(indented.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(indented.stderr()).contains("IndentationError");

        // Raised by an import while the program runs: its code ran, so it is a runtime error with a traceback.
        RunResult imported = run(RunRequest.of("python", "print('ran')\nimport other\n").withFile("other.py", "x = (\n"));
        assertThat(imported.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(imported.stdout()).isEqualTo("ran\n");
        assertThat(imported.stderr()).contains("Traceback (most recent call last)").contains("SyntaxError");

        RunResult compiled = run(RunRequest.of("python", "compile('x = (', 'text', 'exec')\n"));
        assertThat(compiled.status()).isEqualTo(Status.RUNTIME_ERROR);
    }

    @Test
    void runtimeErrorKeepsTheTraceback() {
        RunResult result = run(RunRequest.of("python", "print('before')\nraise ValueError('boom')"));

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stdout()).isEqualTo("before\n");
        assertThat(result.stderr()).contains("ValueError: boom");
    }

    @Test
    void commandLineArgumentsAndEnvironmentArePassedAsGiven() {
        RunResult result = run(RunRequest.of("python",
                "import sys, os\nprint(sys.argv[1:])\nprint(os.environ.get('GREETING'))\nprint(sorted(os.environ))")
                .withArgs("a b", "$HOME", "'quoted'").withEnv("GREETING", "hi there"));

        assertThat(result.status()).isEqualTo(Status.OK);
        List<String> lines = result.stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("['a b', '$HOME', \"'quoted'\"]");
        assertThat(lines.get(1)).isEqualTo("hi there");
        assertThat(lines.get(2)).as("no host variable leaks in").doesNotContain("JAVA_HOME", "USER", "SSH", "MAVEN");
    }

    // ---------------------------------------------------------------- compile errors

    @Test
    void compileErrorCarriesTheCompilersMessage() {
        RunResult result = run(RunRequest.of("cpp", "#include <iostream>\nint main() { undeclared_thing(); }\n"));

        assertThat(result.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(result.compilerOutput()).contains("undeclared_thing").contains("error");
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void javaCompileErrorNamesTheFileTakenFromThePublicClass() {
        RunResult result = run(RunRequest.of("java", "public class Solver {\n  void f() { int x = \"s\"; }\n}\n"));

        assertThat(result.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(result.compilerOutput()).contains("Solver.java").contains("incompatible types");
    }

    // ---------------------------------------------------------------- limits

    @Test
    void infiniteLoopHitsTheTimeLimit() {
        RunResult result = run(RunRequest.of("python", "while True:\n    pass")
                .withLimits(limits -> limits.withCpuTime(Duration.ofSeconds(1)).withWallTime(Duration.ofSeconds(10))));

        assertThat(result.status()).isEqualTo(Status.TIME_LIMIT);
        assertThat(result.message()).contains("CPU time");
        assertThat(result.cpuTime()).isGreaterThanOrEqualTo(Duration.ofMillis(900)).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void sleepingProgramHitsTheWallClockLimit() {
        RunResult result = run(RunRequest.of("python", "import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(1))));

        assertThat(result.status()).isEqualTo(Status.TIME_LIMIT);
        assertThat(result.message()).contains("wall-clock");
        assertThat(result.stdout()).isEqualTo("sleeping\n");
        assertThat(result.wallTime()).isLessThan(Duration.ofSeconds(10));
        assertThat(result.cpuTime()).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void stoppedProgramStillHitsTheWallClockLimit() {
        RunResult result = run(RunRequest.of("bash", "kill -STOP $$; echo never")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(1))));

        assertThat(result.status()).isEqualTo(Status.TIME_LIMIT);
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void allocatingOneGibibyteUnder128MibHitsTheMemoryLimit() {
        RunResult result = run(RunRequest.of("python", "chunks = []\nfor i in range(1024):\n"
                + "    chunks.append(b'x' * (1024 * 1024))\nprint('allocated', len(chunks))")
                .withLimits(limits -> limits.withMemoryBytes(128 * MIB)));

        assertThat(result.status()).as(result.message()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(result.stdout()).doesNotContain("allocated");
        assertThat(result.memoryBytes()).isLessThanOrEqualTo(128 * MIB);
    }

    @Test
    void forkBombIsContainedAndTheHostUnharmed() {
        RunResult result = run(RunRequest.of("bash", "bomb() { bomb | bomb & }; bomb; sleep 2; echo survived")
                .withLimits(limits -> limits.withMaxProcesses(32).withWallTime(Duration.ofSeconds(4))));

        assertThat(result.status()).isIn(Status.OK, Status.TIME_LIMIT, Status.RUNTIME_ERROR);
        RunResult after = run(RunRequest.of("python", "print('still fine')"));
        assertThat(after.status()).isEqualTo(Status.OK);
        assertThat(after.stdout()).isEqualTo("still fine\n");
    }

    @Test
    void processLimitMakesForkFail() {
        RunResult result = run(RunRequest.of("python", "import os\nkids = 0\ntry:\n    for i in range(200):\n"
                + "        pid = os.fork()\n        if pid == 0:\n            import time; time.sleep(5); os._exit(0)\n"
                + "        kids += 1\nexcept OSError as e:\n    print('fork failed after', kids, type(e).__name__)\n")
                .withLimits(limits -> limits.withMaxProcesses(16).withWallTime(Duration.ofSeconds(3))));

        assertThat(result.stdout()).startsWith("fork failed after");
        int kids = Integer.parseInt(result.stdout().split(" ")[3]);
        assertThat(kids).isLessThan(16);
    }

    /**
     * File after file, each under the file-size limit, cannot fill the host's disk: the workspace
     * (256 MiB by default) runs out of space first.
     */
    @Test
    void manySmallFilesCannotFillTheDisk() {
        String program = "import errno\nwritten = 0\ntry:\n"
                + "    for i in range(1024):\n"
                + "        with open(f'fill{i}.bin', 'wb') as f:\n"
                + "            f.write(b'x' * (1024 * 1024))\n"
                + "        written += 1\n"
                + "    print('wrote', written, 'MiB')\n"
                + "except OSError as e:\n"
                + "    print('stopped after', written, 'MiB:', errno.errorcode[e.errno])\n";
        RunResult result = run(RunRequest.of("python", program)
                .withLimits(limits -> limits.withMemoryBytes(1024 * MIB).withMaxFileSizeBytes(2 * MIB)));

        assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
        Matcher stopped = Pattern.compile("stopped after (\\d+) MiB: ENOSPC\n").matcher(result.stdout());
        assertThat(stopped.matches()).as(result.stdout()).isTrue();
        assertThat(Integer.parseInt(stopped.group(1))).isBetween(200, 256);
    }

    @Test
    void fileSizeLimitStopsABigWrite() {
        RunResult result = run(RunRequest.of("python", "with open('big.bin', 'wb') as f:\n"
                + "    for i in range(64):\n        f.write(b'x' * (1024 * 1024))\nprint('wrote all')")
                .withLimits(limits -> limits.withMaxFileSizeBytes(4 * MIB)));

        assertThat(result.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(result.stdout()).doesNotContain("wrote all");
    }

    @Test
    void networkIsBlockedWhenOff() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String program = "import socket, os\nprint(sorted(os.listdir('/sys/class/net')) if os.path.isdir('/sys/class/net') else 'no-sys')\n"
                    + "try:\n    socket.create_connection(('127.0.0.1', " + server.getLocalPort() + "), timeout=2)\n"
                    + "    print('connected')\nexcept OSError as e:\n    print('blocked')\n";
            RunResult result = run(RunRequest.of("python", program));

            assertThat(result.status()).isEqualTo(Status.OK);
            assertThat(result.stdout()).contains("blocked").doesNotContain("connected");
            assertThat(result.stdout()).doesNotContain("eth0", "docker0", "wlan0", "ens");
        }
    }

    /**
     * With network on, a sandbox still cannot reach this host's services or private networks (a
     * database on loopback, the LAN, a cloud metadata service): the kernel rejects the connection at
     * once. Names resolve and public hosts answer.
     */
    @Test
    void networkOnReachesPublicHostsButNeitherThisHostNorPrivateNetworks() throws Exception {
        try (HostGreeter host = new HostGreeter()) {
            String program = "import socket\n"
                    + "for host, port in [('127.0.0.1', " + host.port() + "), ('" + host.address() + "', " + host.port() + "), "
                    + "('10.0.0.1', 9), ('192.168.1.1', 80), ('169.254.169.254', 80), ('registry.npmjs.org', 443)]:\n"
                    + "    try:\n"
                    + "        socket.create_connection((host, port), timeout=10).close()\n"
                    + "        print(host, 'reached')\n"
                    + "    except OSError as e:\n"
                    + "        print(host, type(e).__name__)\n";

            RunResult on = run(RunRequest.of("python", program).withNetwork(true)
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(60)).withCpuTime(Duration.ofSeconds(30))));

            // Refused by the rules (unfenced, the host would answer and private addresses would time out).
            assertThat(on.stdout().lines()).as(on.stderr()).containsExactly(
                    "127.0.0.1 ConnectionRefusedError",
                    host.address() + " ConnectionRefusedError",
                    "10.0.0.1 ConnectionRefusedError",
                    "192.168.1.1 ConnectionRefusedError",
                    "169.254.169.254 ConnectionRefusedError",
                    "registry.npmjs.org reached");
            assertThat(host.greeted()).isZero();
        }
    }

    /**
     * An endpoint a step names (the package index mirror of an install step) is reachable from that
     * step even on this host, and only while a step holds it.
     */
    @Test
    void aStepReachesThePrivateEndpointsItNamesAndOnlyThose() throws Exception {
        try (HostGreeter host = new HostGreeter()) {
            String program = "import socket\ntry:\n"
                    + "    print(socket.create_connection(('" + host.address() + "', " + host.port() + "), timeout=10).recv(100).decode().strip())\n"
                    + "except OSError as e:\n    print(type(e).__name__)\n";
            Language python = runner.languages().require("python");
            NetworkEndpoint endpoint = new NetworkEndpoint(host.address(), host.port());

            assertThat(spiRun(python, program, List.of(endpoint))).isEqualTo("hello from host\n");
            assertThat(spiRun(python, program, List.of())).isEqualTo("ConnectionRefusedError\n");
            assertThat(host.greeted()).isEqualTo(1);
        }
    }

    /** Runs a Python program through the SPI with network on, in a sandbox of its own; returns its stdout. */
    private String spiRun(Language python, String program, List<NetworkEndpoint> endpoints) throws InterruptedException {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        SandboxSpec spec = new SandboxSpec("tck-endpoint-" + System.nanoTime(), python,
                Map.of("main.py", program.getBytes(StandardCharsets.UTF_8)), 64 * MIB);
        try (Sandbox sandbox = backend.open(spec)) {
            StepSpec step = new StepSpec(StepSpec.Kind.RUN, List.of("python3", "main.py"), Map.of(),
                    Limits.defaults().withWallTime(Duration.ofSeconds(30)), true, List.of(), endpoints);
            SandboxProcess process = sandbox.start(step, (stream, buffer, offset, length) -> {
                if (stream == StreamKind.STDOUT) {
                    synchronized (stdout) {
                        stdout.write(buffer, offset, length);
                    }
                }
            });
            process.stdin().close();
            assertThat(process.await(Duration.ofSeconds(30))).isPresent();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        synchronized (stdout) {
            return stdout.toString(StandardCharsets.UTF_8);
        }
    }

    /** A TCP server on every address of this host that greets whoever connects. */
    private static final class HostGreeter implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50);
        private final AtomicInteger greeted = new AtomicInteger();
        private final Thread acceptor = new Thread(this::serve, "tck-host-greeter");
        private final String address;

        HostGreeter() throws IOException {
            address = NetworkInterface.networkInterfaces().filter(HostGreeter::usable)
                    .flatMap(NetworkInterface::inetAddresses).filter(candidate -> candidate instanceof Inet4Address)
                    .map(InetAddress::getHostAddress).findFirst()
                    .orElseThrow(() -> new IllegalStateException("this host has no IPv4 address besides loopback"));
            acceptor.start();
        }

        private static boolean usable(NetworkInterface nic) {
            try {
                return nic.isUp() && !nic.isLoopback();
            } catch (java.net.SocketException e) {
                return false;
            }
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket client = server.accept()) {
                    client.getOutputStream().write("hello from host\n".getBytes(StandardCharsets.UTF_8));
                    greeted.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }

        /** @return an address of this host that is not loopback */
        String address() {
            return address;
        }

        int port() {
            return server.getLocalPort();
        }

        int greeted() {
            return greeted.get();
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join(5_000);
        }
    }

    /**
     * System calls that ordinary programs never need and that widen the kernel's attack surface are
     * refused with EPERM (Docker's default seccomp profile, the local backend's own filter): new
     * user and network namespaces, the kernel keyring, BPF, perf events, mounting, handle-based opens.
     */
    @Test
    void dangerousSystemCallsAreRefused() {
        String program = "import ctypes, platform\n"
                + "libc = ctypes.CDLL(None, use_errno=True)\n"
                + "libc.syscall.restype = ctypes.c_long\n"
                + "def report(name, result):\n"
                + "    error = ctypes.get_errno()\n"
                + "    print(name, 'refused' if result == -1 and error == 1 else 'ALLOWED %d errno %d' % (result, error))\n"
                + "assert platform.machine() == 'x86_64', 'the system call numbers below are x86_64 ones'\n"
                + "report('unshare(user)', libc.unshare(0x10000000))\n"
                + "report('unshare(net)', libc.unshare(0x40000000))\n"
                + "report('keyctl', libc.syscall(250, 0, 0, 0, 0, 0))\n"
                + "report('add_key', libc.syscall(248, b'user', b'k', b'v', 1, 0xfffffffd))\n"
                + "report('bpf', libc.syscall(321, 0, 0, 0))\n"
                + "report('perf_event_open', libc.syscall(298, 0, 0, -1, -1, 0))\n"
                + "report('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
                + "report('open_by_handle_at', libc.syscall(304, 0, 0, 0))\n";
        RunResult result = run(RunRequest.of("python", program));

        assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
        assertThat(result.stdout().lines()).containsExactly("unshare(user) refused", "unshare(net) refused",
                "keyctl refused", "add_key refused", "bpf refused", "perf_event_open refused", "mount refused",
                "open_by_handle_at refused");
    }

    /**
     * No process of a sandbox can trace or read another's memory, least of all pid 1 (bubblewrap's
     * init on the local backend, which runs outside the seccomp filter; {@code docker-init} in
     * Docker): an attach would stop pid 1, hanging the run until its wall-clock limit, and would let
     * the tracer make pid 1 run whatever system calls it likes. {@code ptrace} is refused as a whole,
     * for children too: language runtimes never need it (debuggers would).
     */
    @Test
    void ptraceOfPidOneAndOfChildrenIsRefused() {
        String program = "#define _GNU_SOURCE\n#include <errno.h>\n#include <signal.h>\n#include <stdio.h>\n#include <string.h>\n"
                + "#include <sys/ptrace.h>\n#include <sys/uio.h>\n#include <sys/wait.h>\n#include <unistd.h>\n"
                + "static void report(const char *what, long result) {\n"
                + "    printf(\"%s %s\\n\", what, result == 0 ? \"ALLOWED\" : errno == EPERM ? \"refused\" : strerror(errno));\n"
                + "    fflush(stdout);\n}\n"
                + "int main(void) {\n"
                + "    report(\"attach\", ptrace(PTRACE_ATTACH, 1, 0, 0));\n"
                + "    report(\"seize\", ptrace(PTRACE_SEIZE, 1, 0, 0));\n"
                + "    char buffer[8];\n"
                + "    struct iovec local = { buffer, sizeof buffer }, remote = { (void *) 0x10000, sizeof buffer };\n"
                + "    report(\"process_vm_readv\", process_vm_readv(1, &local, 1, &remote, 1, 0) < 0 ? -1 : 0);\n"
                + "    report(\"process_vm_writev\", process_vm_writev(1, &local, 1, &remote, 1, 0) < 0 ? -1 : 0);\n"
                + "    pid_t child = fork();\n"
                + "    if (child == 0) { pause(); _exit(0); }\n"
                + "    report(\"attach child\", ptrace(PTRACE_ATTACH, child, 0, 0));\n"
                + "    kill(child, SIGKILL);\n    waitpid(child, 0, 0);\n"
                + "    child = fork();\n"
                + "    if (child == 0) { report(\"traceme\", ptrace(PTRACE_TRACEME, 0, 0, 0)); _exit(0); }\n"
                + "    waitpid(child, 0, 0);\n"
                + "    puts(\"done\");\n    return 0;\n}\n";
        RunResult result = run(RunRequest.of("c", program)
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(10))));

        assertThat(result.status()).as(result.message() + "\n" + result.stdout() + result.stderr() + result.compilerOutput())
                .isEqualTo(Status.OK);
        assertThat(result.stdout().lines()).containsExactly("attach refused", "seize refused",
                "process_vm_readv refused", "process_vm_writev refused", "attach child refused", "traceme refused", "done");
        assertThat(result.wallTime()).as("pid 1 was not stopped").isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void systemFoldersAreReadOnlyAndTheWorkspaceWritable() {
        String program = "import os\nfor path in ['/usr/cloudrun-probe', '/etc/cloudrun-probe', '/cloudrun-probe']:\n"
                + "    try:\n        open(path, 'w').write('x')\n        print('WROTE', path)\n"
                + "    except OSError:\n        print('denied', path)\n"
                + "open('out.txt', 'w').write('ok')\nprint(open('out.txt').read())\n"
                + "open('/tmp/t.txt', 'w').write('tmp ok')\nprint(open('/tmp/t.txt').read())\nprint(os.getuid() != 0)\n";
        RunResult result = run(RunRequest.of("python", program));

        assertThat(result.stdout()).doesNotContain("WROTE").contains("ok\n", "tmp ok\n", "True\n");
    }

    @Test
    void cancelKillsTheWholeProcessTree() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        RunRequest request = RunRequest.of("bash", "sleep 300 & sleep 300 & (sleep 300; echo late) &\necho started\nwait")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(60)));
        try (Execution execution = runner.start(request, new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                if (text.contains("started")) {
                    started.countDown();
                }
            }
        })) {
            assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
            execution.cancel();
            RunResult result = execution.await(Duration.ofSeconds(20)).orElseThrow();

            assertThat(result.status()).isEqualTo(Status.CANCELLED);
            assertThat(result.stdout()).doesNotContain("late");
        }
        // The leak check after this test proves no sleep survived.
    }

    // ---------------------------------------------------------------- per-run options

    @Test
    void stderrToStdoutKeepsTheExactOrderOfTheWrites() {
        String program = "#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n"
                + "int main(void) {\n  char line[32];\n  for (int i = 0; i < 300; i++) {\n"
                + "    int n = snprintf(line, sizeof line, \"out%d\\n\", i);\n    write(1, line, n);\n"
                + "    n = snprintf(line, sizeof line, \"err%d\\n\", i);\n    write(2, line, n);\n  }\n  return 0;\n}\n";
        List<StreamKind> streams = new CopyOnWriteArrayList<>();
        StringBuilder live = new StringBuilder();
        RunResult result = runner.run(RunRequest.of("c", program).withStderrToStdout(), new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                streams.add(stream);
                synchronized (live) {
                    live.append(text);
                }
            }
        });

        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            expected.append("out").append(i).append('\n').append("err").append(i).append('\n');
        }
        assertThat(result.status()).as(result.message() + result.compilerOutput()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo(expected.toString());
        assertThat(result.stderr()).isEmpty();
        assertThat(live.toString()).isEqualTo(expected.toString());
        assertThat(streams).containsOnly(StreamKind.STDOUT);
    }

    @Test
    void stderrToStdoutLeavesTheCompilersOutputApart() {
        RunResult result = run(RunRequest.of("c", "int main(void) { return undefined_name; }\n").withStderrToStdout());

        assertThat(result.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(result.compilerOutput()).contains("undefined_name");
        assertThat(result.stdout()).isEmpty();
    }

    @Test
    void stackLimitIsTheRunsRlimitStack() {
        String program = "ulimit -s; ulimit -Hs";
        RunResult byDefault = run(RunRequest.of("bash", program));
        RunResult raised = run(RunRequest.of("bash", program).withLimits(limits -> limits.withStackBytes(64 * MIB)));

        assertThat(byDefault.stdout()).isEqualTo("8192\n8192\n");
        assertThat(raised.stdout()).isEqualTo("65536\n65536\n");
    }

    @Test
    void deepRecursionNeedsTheStackLimitRaised() {
        // About 34 MiB of stack: 32768 frames of a little over 1 KiB each.
        String program = "#include <stdio.h>\n"
                + "static int depth(int n) {\n  volatile char pad[1024];\n  pad[0] = 1;\n"
                + "  if (n == 0) return 0;\n  return depth(n - 1) + pad[0];\n}\n"
                + "int main(void) { printf(\"%d\\n\", depth(32 * 1024)); return 0; }\n";
        RunResult byDefault = run(RunRequest.of("c", program));
        RunResult raised = run(RunRequest.of("c", program).withLimits(limits -> limits.withStackBytes(64 * MIB)));

        assertThat(byDefault.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(byDefault.signal()).contains(11);
        assertThat(raised.status()).as(raised.message()).isEqualTo(Status.OK);
        assertThat(raised.stdout()).isEqualTo("32768\n");
    }

    @Test
    void compileCommandOverrideReplacesTheLanguagesCompileCommand() {
        String program = "#include <stdio.h>\n#ifndef GREETING\n#define GREETING \"default greeting\"\n#endif\n"
                + "int main(void) { puts(GREETING); return 0; }\n";
        RunResult byDefault = run(RunRequest.of("c", program));
        RunResult overridden = run(RunRequest.of("c", program).withCompileCommand(
                List.of("gcc", "-std=c17", "-DGREETING=\"hello from {stem}\"", "-o", "main", "{file}")));

        assertThat(byDefault.stdout()).isEqualTo("default greeting\n");
        assertThat(overridden.status()).as(overridden.message() + overridden.compilerOutput()).isEqualTo(Status.OK);
        assertThat(overridden.stdout()).isEqualTo("hello from main\n");
    }

    @Test
    void runCommandOverrideReplacesTheLanguagesRunCommand() {
        String program = "import sys\nassert False, 'assertions are on'\nprint('assertions are off', sys.argv[1:])\n";
        RunResult byDefault = run(RunRequest.of("python", program));
        RunResult optimised = run(RunRequest.of("python", program).withRunCommand(List.of("python3", "-O", "{file}"))
                .withArgs("x"));

        assertThat(byDefault.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(byDefault.stderr()).contains("AssertionError: assertions are on");
        assertThat(optimised.status()).as(optimised.stderr()).isEqualTo(Status.OK);
        assertThat(optimised.stdout()).isEqualTo("assertions are off ['x']\n");
    }

    // ---------------------------------------------------------------- files

    @Test
    void extraFilesTextAndBinaryInNestedFoldersAreReadable() {
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        RunResult result = run(RunRequest.of("python", "import helper\nprint(helper.greet())\n"
                + "print(open('data/deep/input.txt', encoding='utf-8').read().strip())\n"
                + "b = open('assets/all.bin', 'rb').read()\nprint(len(b), b == bytes(range(256)))\n")
                .withFile("helper.py", "def greet():\n    return 'from helper'\n")
                .withFile("data/deep/input.txt", "naïve ☃\n")
                .withFile("assets/all.bin", binary));

        assertThat(result.status()).as(result.stderr()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("from helper\nnaïve ☃\n256 True\n");
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void twentyRunsInParallelAllCorrect() {
        List<CompletableFuture<RunResult>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(runner.runAsync(RunRequest.of("python", "import sys\nn = int(sys.stdin.read())\nprint(n * n)")
                    .withStdin(Integer.toString(i))));
        }
        for (int i = 0; i < 20; i++) {
            RunResult result = futures.get(i).join();
            assertThat(result.status()).as("run " + i + ": " + result.message() + result.stderr()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo((i * i) + "\n");
        }
    }
}
