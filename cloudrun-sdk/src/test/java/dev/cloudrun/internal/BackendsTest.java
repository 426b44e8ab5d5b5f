package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.spi.BackendSettings;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxBackendProvider;
import dev.cloudrun.spi.SandboxSpec;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The choice of backend, against a fake Docker provider put on the class path the way a jar would be. */
class BackendsTest {
    @TempDir
    Path jar;

    /** A stand-in for cloudrun-docker's provider. */
    public static final class FakeDockerProvider implements SandboxBackendProvider {
        static volatile boolean daemonAnswers;
        static volatile BackendSettings lastSettings;

        /** For ServiceLoader. */
        public FakeDockerProvider() { }

        @Override
        public BackendKind kind() {
            return BackendKind.DOCKER;
        }

        @Override
        public boolean available() {
            return daemonAnswers;
        }

        @Override
        public SandboxBackend create(BackendSettings settings) {
            lastSettings = settings;
            return new SandboxBackend() {
                @Override
                public String name() {
                    return "fake-docker";
                }

                @Override
                public Sandbox open(SandboxSpec spec) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void close() { }
            };
        }
    }

    private <T> T withFakeDockerJar(Callable<T> action) throws Exception {
        Path services = jar.resolve("META-INF/services/" + SandboxBackendProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, FakeDockerProvider.class.getName() + "\n");
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            thread.setContextClassLoader(loader);
            return action.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @Test
    void dockerAndAutoUseTheDockerProviderWhenItIsPresentAndAvailable() throws Exception {
        FakeDockerProvider.daemonAnswers = true;
        try (SandboxBackend docker = withFakeDockerJar(() -> Backends.create(BackendKind.DOCKER, 3, true));
             SandboxBackend auto = withFakeDockerJar(() -> Backends.create(BackendKind.AUTO, 3, true))) {
            assertThat(docker.name()).isEqualTo("fake-docker");
            assertThat(auto.name()).isEqualTo("fake-docker");
            assertThat(FakeDockerProvider.lastSettings).isEqualTo(new BackendSettings(3, true));
        }
    }

    @Test
    void autoFallsBackToLocalWhenTheDaemonDoesNotAnswer() throws Exception {
        FakeDockerProvider.daemonAnswers = false;
        try (SandboxBackend auto = withFakeDockerJar(() -> Backends.create(BackendKind.AUTO, 1, false))) {
            assertThat(auto.name()).isEqualTo("local");
        }
    }

    @Test
    void dockerWithoutItsProviderNamesTheArtifact() {
        assertThatThrownBy(() -> Backends.create(BackendKind.DOCKER, 1, false))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining(Backends.DOCKER_ARTIFACT);
    }
}
