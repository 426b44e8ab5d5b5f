package dev.cloudrun.spi;

import dev.cloudrun.BackendKind;

/**
 * Creates one kind of {@link SandboxBackend}; found at run time with {@link java.util.ServiceLoader}.
 * A backend that ships as its own jar (such as {@code dev.cloudrun:cloudrun-docker}) registers its
 * provider in {@code META-INF/services/dev.cloudrun.spi.SandboxBackendProvider}, so that adding the
 * jar to the class path is all it takes for {@link dev.cloudrun.CodeRunner} to use it. Implementations
 * need a public constructor without parameters and must be cheap to construct.
 */
public interface SandboxBackendProvider {

    /** @return the kind this provider creates; never {@link BackendKind#AUTO} */
    BackendKind kind();

    /**
     * Whether the backend can probably run here, checked cheaply and without side effects (for
     * Docker: the daemon answers a ping). {@link BackendKind#AUTO} picks Docker only when this is true.
     *
     * @return true if {@link #create(BackendSettings)} is expected to succeed
     */
    boolean available();

    /**
     * Creates the backend.
     *
     * @param settings the concurrency and network settings of the runner
     * @return the backend; the caller closes it
     * @throws dev.cloudrun.BackendUnavailableException if it cannot run on this host, saying how to fix it
     */
    SandboxBackend create(BackendSettings settings);
}
