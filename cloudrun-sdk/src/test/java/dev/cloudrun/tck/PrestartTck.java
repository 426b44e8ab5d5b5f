package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Pre-started interpreters (issue 13): a program run by an interpreter started ahead of its run
 * cannot tell it from a cold start. Everything it can see of its start-up ({@code sys.argv},
 * {@code __main__}, {@code sys.modules}, the environment, the working directory, its files and open
 * descriptors, stdin and {@code input()}, stdout and stderr, limits, signal dispositions, exit codes,
 * uncaught exceptions and their tracebacks) is compared with a backend that starts cold. Each
 * pre-started sandbox serves one run; a run that differs from the step started (other arguments, a
 * {@code package.json} for Node.js) starts cold and correctly; limits count from the run and hold.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class PrestartTck {
    private static final String PYTHON_PROBE = """
            import sys, os, json, signal, resource
            line = input()
            seen = {
                "argv": sys.argv, "orig_argv": sys.orig_argv, "file": __file__, "name": __name__,
                "spec": repr(__spec__), "loader": type(__loader__).__name__, "package": repr(__package__),
                "modules": sorted(sys.modules), "cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path,
                "flags": repr(sys.flags), "stdin": line, "ppid": os.getppid(), "frames": repr(sys._getframe().f_back),
                "files": sorted(os.listdir(".")), "fds": sorted(os.listdir("/proc/self/fd")),
                "mode": oct(os.stat(__file__).st_mode), "size": os.stat(__file__).st_size,
                "buffered": [type(s.buffer).__name__ for s in (sys.stdout, sys.stderr)],
                "tty": [s.isatty() for s in (sys.stdin, sys.stdout, sys.stderr)],
                "signals": [repr(signal.getsignal(s)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD)],
                "rlimits": [resource.getrlimit(r) for r in (resource.RLIMIT_NOFILE, resource.RLIMIT_FSIZE,
                            resource.RLIMIT_STACK, resource.RLIMIT_CORE, resource.RLIMIT_NPROC)],
                "uid": [os.getuid(), os.getgid(), os.getgroups()], "umask": os.umask(0o22),
            }
            print(json.dumps(seen, sort_keys=True))
            def fail():
                raise ValueError("from the program")
            fail()
            """;
    private static final String NODE_PROBE = """
            const fs = require('fs');
            const input = fs.readFileSync(0, 'utf8');
            console.log(JSON.stringify({
              argv: process.argv, execArgv: process.execArgv, filename: __filename, main: require.main === module,
              cache: Object.keys(require.cache), cwd: process.cwd(), env: process.env, paths: module.paths,
              stdin: input, ppid: process.ppid, files: fs.readdirSync('.').sort(), fds: fs.readdirSync('/proc/self/fd').sort(),
              size: fs.statSync(__filename).size, isFile: fs.statSync(__filename).isFile(), type: typeof module,
              tty: [process.stdin.isTTY, process.stdout.isTTY, process.stderr.isTTY], uid: process.getuid(),
            }));
            throw new Error('from the program');
            """;

    private SandboxBackend warmBackend;
    private CodeRunner warm;
    private CodeRunner cold;

    /** @return a new backend with pre-started interpreters on; the kit closes it */
    protected abstract SandboxBackend createWarmBackend();

    /** @return a new backend of the same kind that starts every run cold; the kit closes it */
    protected abstract SandboxBackend createColdBackend();

    /**
     * @param backend the warm backend
     * @return how many runs it has handed to a pre-started interpreter so far
     */
    protected abstract long prestartedRuns(SandboxBackend backend);

    /**
     * @param backend the warm backend
     * @return how many pre-started interpreters wait for a run now
     */
    protected abstract int readyInterpreters(SandboxBackend backend);

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void start() {
        warmBackend = createWarmBackend();
        warm = CodeRunner.create(config -> config.backend(warmBackend).maxConcurrentRuns(2));
        cold = CodeRunner.create(config -> config.backend(createColdBackend()).maxConcurrentRuns(2));
    }

    @AfterAll
    void stop() {
        warm.close();
        cold.close();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(warmBackend));
    }

    /** @return the warm backend (for a backend's own tests) */
    protected SandboxBackend warmBackend() {
        return warmBackend;
    }

    /** @return a runner on the cold backend */
    protected CodeRunner coldRunner() {
        return cold;
    }

    /** @return a runner on the warm backend */
    protected CodeRunner warmRunner() {
        return warm;
    }

    protected static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /**
     * Runs a request on the warm runner until a pre-started interpreter serves it: the first run
     * teaches the backend the step, the pool builds in the background, and a later run takes one.
     *
     * @return the result of the run a pre-started interpreter served
     */
    protected RunResult runPrestarted(RunRequest request) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            long served = prestartedRuns(warmBackend);
            RunResult result = warm.run(request);
            if (prestartedRuns(warmBackend) == served + 1) {
                return result;
            }
            assertThat(System.nanoTime()).as("no pre-started interpreter served " + request.language() + " within 60 s")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** Asserts that two runs ended alike: status, exit code, stdout and stderr. */
    protected static void assertSameRun(RunResult prestarted, RunResult coldRun) {
        assertThat(prestarted.status()).isEqualTo(coldRun.status());
        assertThat(prestarted.exitCode()).isEqualTo(coldRun.exitCode());
        assertThat(prestarted.stdout()).isEqualTo(coldRun.stdout());
        assertThat(prestarted.stderr()).isEqualTo(coldRun.stderr());
    }

    @Test
    void aPythonProgramCannotTellAPrestartedInterpreterFromAColdOne() throws Exception {
        RunRequest request = RunRequest.of("python", PYTHON_PROBE).withStdin("typed\n")
                .withFile("data/input.txt", "x\n");
        RunResult prestarted = runPrestarted(request);
        RunResult coldRun = cold.run(request);

        assertThat(coldRun.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(coldRun.stdout()).contains("\"argv\": [\"main.py\"]").contains("\"stdin\": \"typed\"");
        assertThat(coldRun.stderr()).contains("ValueError: from the program").contains("line 19, in fail");
        assertSameRun(prestarted, coldRun);
    }

    @Test
    void aNodeProgramCannotTellAPrestartedRuntimeFromAColdOne() throws Exception {
        RunRequest request = RunRequest.of("javascript", NODE_PROBE).withStdin("typed")
                .withFile("lib/helper.js", "module.exports = 1;\n");
        RunResult prestarted = runPrestarted(request);
        RunResult coldRun = cold.run(request);

        assertThat(coldRun.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(coldRun.stdout()).contains("\"stdin\":\"typed\"").contains("\"main\":true");
        assertThat(coldRun.stderr()).contains("Error: from the program");
        assertSameRun(prestarted, coldRun);
    }

    @Test
    void exitCodesAndSignalsAreThoseOfAColdStart() throws Exception {
        RunRequest exits = RunRequest.of("python", "import sys\nprint('leaving')\nsys.exit(3)\n");
        assertSameRun(runPrestarted(exits), cold.run(exits));
        assertThat(cold.run(exits).exitCode()).isEqualTo(3);

        RunRequest killed = RunRequest.of("python", "import os, signal\nprint('bye', flush=True)\n"
                + "os.kill(os.getpid(), signal.SIGTERM)\n");
        RunResult prestarted = runPrestarted(killed);
        assertSameRun(prestarted, cold.run(killed));
        assertThat(prestarted.exitCode()).isEqualTo(128 + 15);

        RunRequest interrupted = RunRequest.of("javascript", "process.on('SIGINT', () => { console.log('caught'); process.exit(7); });\n"
                + "process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 5000);\n");
        RunResult nodeRun = runPrestarted(interrupted);
        assertSameRun(nodeRun, cold.run(interrupted));
        assertThat(nodeRun.stdout()).isEqualTo("caught\n");
        assertThat(nodeRun.exitCode()).isEqualTo(7);
    }

    @Test
    void aPackageJsonThatChangesNodesStartUpMakesTheRunCold() throws Exception {
        RunRequest plain = RunRequest.of("javascript", "console.log('plain');");
        runPrestarted(plain);
        waitUntil(() -> readyInterpreters(warmBackend) > 0);
        long served = prestartedRuns(warmBackend);
        // "type": "module" is read before the main file: a pre-started Node.js would have missed it.
        RunResult module = warm.run(RunRequest.of("javascript", "import fs from 'fs';\nconsole.log(typeof fs.readFileSync);")
                .withFile("package.json", "{\"type\": \"module\"}"));
        assertThat(module.status()).as(module.stderr()).isEqualTo(Status.OK);
        assertThat(module.stdout()).isEqualTo("function\n");
        assertThat(prestartedRuns(warmBackend)).isEqualTo(served);
    }

    @Test
    void everyRunGetsAFreshSandboxAndAnotherStepStartsCold() throws Exception {
        RunRequest leaver = RunRequest.of("python", """
                import os, subprocess
                print(sorted(os.listdir('.')), os.path.exists('/tmp/left'))
                open('left', 'w').write('x'); open('/tmp/left', 'w').write('x')
                subprocess.Popen(['sleep', '30'])
                """);
        RunResult first = runPrestarted(leaver);
        assertThat(first.stdout()).isEqualTo("['main.py'] False\n");
        RunResult second = runPrestarted(leaver);
        assertThat(second.stdout()).isEqualTo("['main.py'] False\n");

        // Other arguments: not the step that was started, so it runs cold, and correctly.
        long served = prestartedRuns(warmBackend);
        RunResult withArgs = warm.run(RunRequest.of("python", "import sys; print(sys.argv)").withArgs("a", "b c"));
        assertThat(withArgs.stdout()).isEqualTo("['main.py', 'a', 'b c']\n");
        assertThat(prestartedRuns(warmBackend)).isEqualTo(served);
    }

    @Test
    void limitsCountFromTheRunAndStillHold() throws Exception {
        RunRequest spin = RunRequest.of("python", "while True: pass")
                .withLimits(limits -> limits.withCpuTime(Duration.ofSeconds(1)).withWallTime(Duration.ofSeconds(3)));
        RunResult looped = runPrestarted(spin);
        assertThat(looped.status()).isEqualTo(Status.TIME_LIMIT);

        RunRequest hog = RunRequest.of("python", "x = bytearray(512 * 1024 * 1024)\nprint(len(x))")
                .withLimits(limits -> limits.withMemoryBytes(128L << 20));
        RunResult hogged = runPrestarted(hog);
        assertThat(hogged.status()).isEqualTo(Status.MEMORY_LIMIT);

        // The program's CPU time is its own: not less than it spent, and not the interpreter's start-up twice.
        RunRequest work = RunRequest.of("python", "import time\nend = time.process_time() + 0.3\n"
                + "while time.process_time() < end: pass\nprint('worked')\n");
        RunResult worked = runPrestarted(work);
        assertThat(worked.stdout()).isEqualTo("worked\n");
        assertThat(worked.cpuTime()).isGreaterThanOrEqualTo(Duration.ofMillis(250)).isLessThan(Duration.ofSeconds(3));
    }
}
