package dev.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * An application with {@code cloudrun-sdk} alone (this module's test class path holds no
 * {@code cloudrun-docker}): no docker-java is downloaded, AUTO falls back to the local sandbox, and
 * asking for Docker says which artifact to add.
 */
class BackendDiscoveryTest {

    @Test
    void theSdkAloneBringsNoDockerJava() {
        assertThatThrownBy(() -> Class.forName("com.github.dockerjava.api.DockerClient"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> Class.forName("dev.cloudrun.docker.DockerSandboxBackend"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void autoRunsOnTheLocalBackendWithoutTheDockerJar() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.AUTO).maxConcurrentRuns(1))) {
            assertThat(runner.backendName()).isEqualTo("local");
            RunResult result = runner.run(RunRequest.of("python", "print('hello from', 6 * 7)"));
            assertThat(result.status()).as(result.toString()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("hello from 42\n");
        }
    }

    @Test
    void dockerWithoutTheDockerJarNamesTheArtifactToAdd() {
        assertThatThrownBy(() -> CodeRunner.create(config -> config.backend(BackendKind.DOCKER)))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("dev.cloudrun:cloudrun-docker")
                .hasMessageContaining("artifactId cloudrun-docker");
    }
}
