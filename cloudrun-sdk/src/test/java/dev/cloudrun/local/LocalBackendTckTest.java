package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.SandboxBackendTck;
import java.util.List;

/** The local bubblewrap backend against the whole test kit. */
class LocalBackendTckTest extends SandboxBackendTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
