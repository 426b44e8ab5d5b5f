package dev.cloudrun.internal;

import dev.cloudrun.BackendKind;
import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.local.LocalSandboxBackend;
import dev.cloudrun.spi.SandboxBackend;

/** Creates the built-in backends by kind. */
public final class Backends {
    private Backends() { }

    /**
     * Creates a backend.
     *
     * @param kind which one; {@link BackendKind#AUTO} picks Docker when a daemon answers, else local
     * @param maxConcurrentRuns how many runs may execute at once (sizes connection pools)
     * @return the backend
     * @throws dev.cloudrun.BackendUnavailableException if it cannot run on this host
     */
    public static SandboxBackend create(BackendKind kind, int maxConcurrentRuns) {
        switch (kind) {
            case LOCAL:
                return LocalSandboxBackend.create();
            case UNSAFE_UNSANDBOXED:
                return LocalSandboxBackend.unsafeUnsandboxed();
            case DOCKER:
                return DockerSandboxBackend.create(maxConcurrentRuns);
            case AUTO:
            default:
                if (DockerSandboxBackend.daemonAnswers()) {
                    return DockerSandboxBackend.create(maxConcurrentRuns);
                }
                return LocalSandboxBackend.create();
        }
    }
}
