package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.tck.LeakChecks;
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
 * Pre-started interpreters (and compilers) on the local backend: a program run by one cannot tell it from a cold
 * start (everything it can see of its start-up is compared with a runner that starts cold), each
 * serves one run, a run that differs starts cold, and the pool empties when idle and at close.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalPrestartTest {
    private static final String PYTHON_PROBE = """
            import sys, os, json
            line = input()
            seen = {
                "argv": sys.argv, "orig_argv": sys.orig_argv, "file": __file__, "name": __name__,
                "spec": repr(__spec__), "loader": type(__loader__).__name__, "package": repr(__package__),
                "modules": sorted(sys.modules), "cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path,
                "flags": repr(sys.flags), "stdin": line, "ppid": os.getppid(), "frames": repr(sys._getframe().f_back),
                "files": sorted(os.listdir(".")), "fds": sorted(os.listdir("/proc/self/fd")),
                "mode": oct(os.stat(__file__).st_mode), "size": os.stat(__file__).st_size,
                "buffered": [type(s.buffer).__name__ for s in (sys.stdout, sys.stderr)],
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
              size: fs.statSync(__filename).size, isFile: fs.statSync(__filename).isFile(), type: typeof import.meta,
            }));
            throw new Error('from the program');
            """;

    private LocalSandboxBackend warmBackend;
    private CodeRunner warm;
    private CodeRunner cold;

    @BeforeAll
    void start() {
        warmBackend = LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestartIdle(Duration.ofSeconds(2)));
        warm = CodeRunner.create(config -> config.backend(warmBackend).maxConcurrentRuns(2));
        cold = CodeRunner.create(config -> config.backend(LocalSandboxBackend.create(
                new LocalSandboxBackend.Options().prestart(false))).maxConcurrentRuns(2));
    }

    @AfterAll
    void stop() {
        warm.close();
        cold.close();
        LeakChecks.assertNothingLeftBehind(warmBackend::leftovers);
        assertThat(warmBackend.warmRuntimes().readySandboxes()).isZero();
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Runs once cold on the warm runner (so it learns the step), waits for a ready sandbox, runs again. */
    private RunResult runPrestarted(RunRequest request) throws InterruptedException {
        warm.run(request);
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes(request.language()) > 0);
        long served = warmBackend.warmRuntimes().servedRuns();
        RunResult result = warm.run(request);
        assertThat(warmBackend.warmRuntimes().servedRuns()).as("served by a pre-started interpreter").isEqualTo(served + 1);
        return result;
    }

    private static void assertSameRun(RunResult prestarted, RunResult coldRun) {
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
        assertThat(coldRun.stderr()).contains("ValueError: from the program").contains("line 14, in fail");
        assertSameRun(prestarted, coldRun);
    }

    @Test
    void aNodeProgramCannotTellAPrestartedRuntimeFromAColdOne() throws Exception {
        RunRequest request = RunRequest.of("javascript", NODE_PROBE.replace("typeof import.meta", "typeof module"))
                .withStdin("typed").withFile("lib/helper.js", "module.exports = 1;\n");
        RunResult prestarted = runPrestarted(request);
        RunResult coldRun = cold.run(request);

        assertThat(coldRun.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(coldRun.stdout()).contains("\"stdin\":\"typed\"").contains("\"main\":true");
        assertThat(coldRun.stderr()).contains("Error: from the program");
        assertSameRun(prestarted, coldRun);
    }

    @Test
    void aCProgramCannotTellAPrestartedCompilerFromAColdOne() throws Exception {
        // A warning quotes its source line: gcc reads the file again by name for that, after the handover.
        String source = """
                #include <stdio.h>
                int main(int argc, char **argv) {
                    int unused;
                    char line[64] = "";
                    if (fgets(line, sizeof line, stdin) == NULL) { return 3; }
                    printf("%s %s %d %s", __FILE__, argv[0], argc, line);
                    return 7;
                }
                """;
        RunRequest request = RunRequest.of("c", source + "// " + java.util.UUID.randomUUID() + "\n")
                .withStdin("typed\n").withCompileCommand(List.of("gcc", "-Wall", "-o", "main", "{file}"));
        RunResult prestarted = runPrestarted(request);
        RunResult coldRun = cold.run(request);

        assertThat(coldRun.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(coldRun.exitCode()).isEqualTo(7);
        assertThat(coldRun.stdout()).isEqualTo("main.c ./main 1 typed\n");
        assertThat(coldRun.compilerOutput()).contains("unused variable").contains("int unused;");
        assertSameRun(prestarted, coldRun);
        assertThat(prestarted.compilerOutput()).isEqualTo(coldRun.compilerOutput());
    }

    @Test
    void aCompileErrorFromAPrestartedCompilerIsTheColdOne() throws Exception {
        RunRequest request = RunRequest.of("c", "int main(void) { return missing; }\n// "
                + java.util.UUID.randomUUID() + "\n");
        RunResult prestarted = runPrestarted(request);
        RunResult coldRun = cold.run(request);

        assertThat(coldRun.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(coldRun.compilerOutput()).contains("undeclared").contains("return missing;");
        assertThat(prestarted.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(prestarted.compilerOutput()).isEqualTo(coldRun.compilerOutput());
    }

    @Test
    void aCompiledRunFromTheCompileCacheLeavesThePrestartedCompilerWaiting() throws Exception {
        RunRequest request = RunRequest.of("c", "#include <stdio.h>\nint main(void) { puts(\"cached\"); return 0; }\n// "
                + java.util.UUID.randomUUID() + "\n");
        // Cold, then warm: the compile cache admits a compile on its second sighting.
        runPrestarted(request);
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() > 0);
        long served = warmBackend.warmRuntimes().servedRuns();

        RunResult cached = warm.run(request);

        assertThat(cached.compileCached()).isTrue();
        assertThat(cached.stdout()).isEqualTo("cached\n");
        assertThat(warmBackend.warmRuntimes().servedRuns()).isEqualTo(served);
    }

    @Test
    void aPackageJsonThatChangesNodesStartUpMakesTheRunCold() throws Exception {
        RunRequest plain = RunRequest.of("javascript", "console.log('plain');");
        runPrestarted(plain);
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() > 0);
        long served = warmBackend.warmRuntimes().servedRuns();
        // "type": "module" is read before the main file: a pre-started Node.js would have missed it.
        RunResult module = warm.run(RunRequest.of("javascript", "import fs from 'fs';\nconsole.log(typeof fs.readFileSync);")
                .withFile("package.json", "{\"type\": \"module\"}"));
        assertThat(module.status()).as(module.stderr()).isEqualTo(Status.OK);
        assertThat(module.stdout()).isEqualTo("function\n");
        assertThat(warmBackend.warmRuntimes().servedRuns()).isEqualTo(served);
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
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() > 0);
        RunResult second = warm.run(leaver);
        assertThat(second.stdout()).isEqualTo("['main.py'] False\n");

        // Other arguments: not the step that was started, so it runs cold, and correctly.
        long served = warmBackend.warmRuntimes().servedRuns();
        RunResult withArgs = warm.run(RunRequest.of("python", "import sys; print(sys.argv)").withArgs("a", "b c"));
        assertThat(withArgs.stdout()).isEqualTo("['main.py', 'a', 'b c']\n");
        assertThat(warmBackend.warmRuntimes().servedRuns()).isEqualTo(served);
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
    }

    @Test
    void releaseIdleDestroysTheWaitingSandboxesAndTheNextRunsTeachAgain() throws Exception {
        RunRequest request = RunRequest.of("python", "print('released')");
        runPrestarted(request);
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() > 0);
        warm.releaseIdle();
        assertThat(warmBackend.warmRuntimes().readySandboxes()).isZero();
        waitUntil(() -> warmBackend.leftovers().isEmpty());
        // Learned again from the next cold run.
        RunResult again = runPrestarted(request);
        assertThat(again.stdout()).isEqualTo("released\n");
    }

    @Test
    void thePoolEmptiesWhenIdle() throws Exception {
        runPrestarted(RunRequest.of("python", "print('idle soon')"));
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() > 0);
        // Two seconds without a run (prestartIdle): the sweep destroys them, and nothing is left.
        waitUntil(() -> warmBackend.warmRuntimes().readySandboxes() == 0);
        waitUntil(() -> warmBackend.leftovers().isEmpty());
        assertThat(warmBackend.leftovers()).isEqualTo(List.of());
    }
}
