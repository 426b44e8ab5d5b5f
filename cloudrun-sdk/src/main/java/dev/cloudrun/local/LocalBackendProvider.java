package dev.cloudrun.local;

import dev.cloudrun.BackendKind;
import dev.cloudrun.spi.BackendSettings;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxBackendProvider;

/** Provides {@link BackendKind#LOCAL}: the bubblewrap sandbox of {@link LocalSandboxBackend}. */
public final class LocalBackendProvider implements SandboxBackendProvider {
    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public LocalBackendProvider() { }

    @Override
    public BackendKind kind() {
        return BackendKind.LOCAL;
    }

    /** @return true: whether bubblewrap works here is checked, and explained, by {@link #create} */
    @Override
    public boolean available() {
        return true;
    }

    @Override
    public SandboxBackend create(BackendSettings settings) {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options()
                .allowUnfencedNetwork(settings.allowUnfencedNetwork()));
    }
}
