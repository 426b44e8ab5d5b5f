package dev.cloudrun.docker;

import dev.cloudrun.BackendKind;
import dev.cloudrun.spi.BackendSettings;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxBackendProvider;

/**
 * Provides {@link BackendKind#DOCKER}: {@link DockerSandboxBackend} on the daemon named by
 * {@code DOCKER_HOST} (or the default socket). Registered for {@link java.util.ServiceLoader}, so an
 * application that has {@code cloudrun-docker} on its class path gets it without code.
 */
public final class DockerBackendProvider implements SandboxBackendProvider {
    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public DockerBackendProvider() { }

    @Override
    public BackendKind kind() {
        return BackendKind.DOCKER;
    }

    /** @return whether the daemon answers a ping within a few seconds */
    @Override
    public boolean available() {
        return DockerSandboxBackend.daemonAnswers();
    }

    @Override
    public SandboxBackend create(BackendSettings settings) {
        return DockerSandboxBackend.create(new DockerBackendOptions()
                .maxConcurrentRuns(settings.maxConcurrentRuns())
                .allowUnfencedNetwork(settings.allowUnfencedNetwork()));
    }
}
