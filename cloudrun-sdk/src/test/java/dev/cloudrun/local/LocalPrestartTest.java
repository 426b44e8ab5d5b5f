package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PrestartTck;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pre-started interpreters and compilers on the local backend: the {@link PrestartTck}; a C
 * program, its warnings and its compile errors alike from a pre-started compiler and a cold one; and
 * the local pool's own life cycle (it empties when idle and on {@code releaseIdle}, and keeps
 * interpreters for runs of other limits apart).
 */
class LocalPrestartTest extends PrestartTck {
    @Override
    protected SandboxBackend createWarmBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestartIdle(Duration.ofSeconds(2)));
    }

    @Override
    protected SandboxBackend createColdBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
    }

    @Override
    protected long prestartedRuns(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).warmRuntimes().servedRuns();
    }

    @Override
    protected int readyInterpreters(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).warmRuntimes().readySandboxes();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }

    private LocalSandboxBackend local() {
        return (LocalSandboxBackend) warmBackend();
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
        RunResult coldRun = coldRunner().run(request);

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
        RunResult coldRun = coldRunner().run(request);

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
        waitUntil(() -> local().warmRuntimes().readySandboxes() > 0);
        long served = local().warmRuntimes().servedRuns();

        RunResult cached = warmRunner().run(request);

        assertThat(cached.compileCached()).isTrue();
        assertThat(cached.stdout()).isEqualTo("cached\n");
        assertThat(local().warmRuntimes().servedRuns()).isEqualTo(served);
    }

    @Test
    void releaseIdleDestroysTheWaitingSandboxesAndTheNextRunsTeachAgain() throws Exception {
        RunRequest request = RunRequest.of("python", "print('released')");
        runPrestarted(request);
        waitUntil(() -> local().warmRuntimes().readySandboxes() > 0);
        warmRunner().releaseIdle();
        assertThat(local().warmRuntimes().readySandboxes()).isZero();
        waitUntil(() -> local().leftovers().isEmpty());
        // Learned again from the next cold run.
        RunResult again = runPrestarted(request);
        assertThat(again.stdout()).isEqualTo("released\n");
    }

    @Test
    void runsWithOtherLimitsEachKeepTheirOwnInterpretersWaiting() throws Exception {
        // An agent's runs and an IDE's: the same language and main file, other limits, in turn. A backend of its own,
        // so that the other tests' keys do not hold the pool's places.
        LocalSandboxBackend backend = LocalSandboxBackend.create(new LocalSandboxBackend.Options()
                .prestartIdle(Duration.ofMinutes(1)));
        try (dev.cloudrun.CodeRunner runner = dev.cloudrun.CodeRunner.create(config -> config.backend(backend))) {
            RunRequest agents = RunRequest.of("python", "print('agent')")
                    .withLimits(dev.cloudrun.Limits.defaults().withWallTime(Duration.ofSeconds(7)));
            RunRequest ides = RunRequest.of("python", "print('ide')")
                    .withLimits(dev.cloudrun.Limits.defaults().withWallTime(Duration.ofSeconds(9)));
            assertThat(runner.run(agents).stdout()).isEqualTo("agent\n");
            assertThat(runner.run(ides).stdout()).isEqualTo("ide\n");
            // Two ready for each (two per key by default): before, the second limits replaced the first's.
            waitUntil(() -> backend.warmRuntimes().readySandboxes() == 4);
            long served = backend.warmRuntimes().servedRuns();
            for (int round = 0; round < 2; round++) {
                assertThat(runner.run(agents).stdout()).isEqualTo("agent\n");
                assertThat(runner.run(ides).stdout()).isEqualTo("ide\n");
            }
            assertThat(backend.warmRuntimes().servedRuns()).isEqualTo(served + 4);
        }
    }

    @Test
    void thePoolEmptiesWhenIdle() throws Exception {
        runPrestarted(RunRequest.of("python", "print('idle soon')"));
        waitUntil(() -> local().warmRuntimes().readySandboxes() > 0);
        // Two seconds without a run (prestartIdle): the sweep destroys them, and nothing is left.
        waitUntil(() -> local().warmRuntimes().readySandboxes() == 0);
        waitUntil(() -> local().leftovers().isEmpty());
        assertThat(local().leftovers()).isEqualTo(List.of());
    }
}
