package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.spi.SandboxBackendProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * With the {@code cloudrun-docker} jar on the class path, {@link BackendKind#DOCKER} and
 * {@link BackendKind#AUTO} give the Docker backend with no code change (needs a running daemon).
 */
class DockerDiscoveryTest {

    @Test
    void theJarRegistersItsProvider() {
        assertThat(ServiceLoader.load(SandboxBackendProvider.class).stream().map(ServiceLoader.Provider::type))
                .contains(DockerBackendProvider.class);
    }

    @Test
    void dockerKindRunsInDocker() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.DOCKER).maxConcurrentRuns(1))) {
            assertThat(runner.backendName()).isEqualTo("docker");
            RunResult result = runner.run(RunRequest.of("python", "print('hello from', 6 * 7)"));
            assertThat(result.status()).as(result.toString()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("hello from 42\n");
        }
    }

    @Test
    void autoPicksDockerWhenTheDaemonAnswers() {
        assertThat(new DockerBackendProvider().available()).as("a Docker daemon answers").isTrue();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.AUTO).maxConcurrentRuns(1))) {
            assertThat(runner.backendName()).isEqualTo("docker");
        }
    }
}
