package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackend;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * {@link RunRequest#withOutputFiles}: the regular files a program leaves in a folder come back in
 * {@link RunResult#outputFiles()}; links are refused, never followed; a cap holds. Every backend
 * passes the same kit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class OutputFilesTck {
    private SandboxBackend backend;
    private CodeRunner runner;

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
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2));
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @Test
    void theFilesOfTheFolderComeBackAndLinksDoNot() {
        RunResult result = runner.run(RunRequest.of("python", String.join("\n",
                "import os",
                "os.makedirs('out/plots', exist_ok=True)",
                "open('out/report.txt', 'w').write('done')",
                "open('out/plots/raw.bin', 'wb').write(bytes(range(256)))",
                "open('elsewhere.txt', 'w').write('not asked for')",
                "os.symlink('/etc/passwd', 'out/passwd')",
                "os.symlink('../elsewhere.txt', 'out/sneaky.txt')",
                "")).withOutputFiles("out", 1 << 20));
        assertThat(result.status()).as(result.toString()).isEqualTo(Status.OK);
        assertThat(result.outputFiles()).containsOnlyKeys("out/report.txt", "out/plots/raw.bin");
        assertThat(new String(result.outputFiles().get("out/report.txt"), StandardCharsets.UTF_8)).isEqualTo("done");
        assertThat(result.outputFiles().get("out/plots/raw.bin")).hasSize(256);
    }

    @Test
    void noFolderMeansNoFilesAndAnOrdinaryResult() {
        RunResult result = runner.run(RunRequest.of("python", "print('no files')").withOutputFiles("out", 1 << 20));
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.stdout()).isEqualTo("no files\n");
        assertThat(result.outputFiles()).isEmpty();
        assertThat(result.message()).doesNotContain("output files");
        assertThat(runner.run(RunRequest.of("python", "import os\nos.makedirs('out')\nopen('out/a', 'w').write('a')"))
                .outputFiles()).as("not asked for").isEmpty();
    }

    @Test
    void filesOverTheCapAreNotReturnedAndTheMessageSaysSo() {
        RunResult result = runner.run(RunRequest.of("python",
                "import os\nos.makedirs('out')\nopen('out/big.bin', 'wb').write(b'x' * 300000)\n")
                .withOutputFiles("out", 100_000));
        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(result.outputFiles()).isEmpty();
        assertThat(result.message()).contains("output files not returned");
    }
}
