package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.tck.LeakChecks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Terminal mode on the Docker backend with gVisor ({@code runsc}): its pseudo-terminal (runsc 2022)
 * hangs a Python syntax error under {@code script} until the wall-clock limit, so a terminal step
 * gets one pipe for stdout and stderr instead ({@link GvisorStdio#wrap(dev.cloudrun.spi.StepSpec)}):
 * one stream in the order of the writes, results as on pipes, {@code isatty()} false. Needs runsc
 * registered with the daemon ({@code scripts/enable-gvisor.sh}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DockerRunscOutputOrderTest {
    private DockerSandboxBackend backend;
    private CodeRunner runner;

    @BeforeAll
    void startRunner() {
        backend = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2).runtime("runsc"));
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNothingLeftBehind(backend::leftovers);
    }

    @Test
    void aTerminalStepRunsOnOnePipeInTheOrderOfTheWrites() {
        for (int round = 0; round < 2; round++) {
            RunResult result = runner.run(RunRequest.of("python", "import sys\nprint(sys.stdout.isatty())\n"
                    + "for i in range(10):\n    print(f'out{i}', flush=True)\n    print(f'err{i}', file=sys.stderr, flush=True)\n")
                    .withTerminal());

            assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
            StringBuilder expected = new StringBuilder("False\n");
            for (int i = 0; i < 10; i++) {
                expected.append("out").append(i).append("\nerr").append(i).append('\n');
            }
            assertThat(result.stdout()).isEqualTo(expected.toString());
            assertThat(result.stderr()).isEmpty();
        }
    }

    @Test
    void aSyntaxErrorAndAnExitCodeAreReportedAsOnPipes() {
        RunResult syntax = runner.run(RunRequest.of("python", "print('unclosed'\n").withTerminal());
        assertThat(syntax.status()).as(syntax.message()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(syntax.stdout()).contains("SyntaxError");

        RunResult exited = runner.run(RunRequest.of("python", "import sys\nsys.exit(3)\n").withTerminal());
        assertThat(exited.exitCode()).isEqualTo(3);
    }
}
