package dev.cloudrun.local;

import dev.cloudrun.BackendKind;
import dev.cloudrun.spi.BackendSettings;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxBackendProvider;

/** Provides {@link BackendKind#UNSAFE_UNSANDBOXED}: {@link LocalSandboxBackend#unsafeUnsandboxed()}. */
public final class UnsandboxedBackendProvider implements SandboxBackendProvider {
    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public UnsandboxedBackendProvider() { }

    @Override
    public BackendKind kind() {
        return BackendKind.UNSAFE_UNSANDBOXED;
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public SandboxBackend create(BackendSettings settings) {
        return LocalSandboxBackend.unsafeUnsandboxed();
    }
}
