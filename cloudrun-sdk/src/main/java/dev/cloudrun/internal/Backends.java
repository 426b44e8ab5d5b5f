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
     * @param allowUnfencedNetwork whether network-enabled runs may go ahead where the backend cannot
     *     fence them off this host and private networks
     * @return the backend
     * @throws dev.cloudrun.BackendUnavailableException if it cannot run on this host
     */
    public static SandboxBackend create(BackendKind kind, int maxConcurrentRuns, boolean allowUnfencedNetwork) {
        switch (kind) {
            case LOCAL:
                return local(allowUnfencedNetwork);
            case UNSAFE_UNSANDBOXED:
                return LocalSandboxBackend.unsafeUnsandboxed();
            case DOCKER:
                return docker(maxConcurrentRuns, allowUnfencedNetwork);
            case AUTO:
            default:
                if (DockerSandboxBackend.daemonAnswers()) {
                    return docker(maxConcurrentRuns, allowUnfencedNetwork);
                }
                return local(allowUnfencedNetwork);
        }
    }

    private static SandboxBackend local(boolean allowUnfencedNetwork) {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().allowUnfencedNetwork(allowUnfencedNetwork));
    }

    private static SandboxBackend docker(int maxConcurrentRuns, boolean allowUnfencedNetwork) {
        return DockerSandboxBackend.create(new DockerSandboxBackend.Options().maxConcurrentRuns(maxConcurrentRuns)
                .allowUnfencedNetwork(allowUnfencedNetwork));
    }
}
