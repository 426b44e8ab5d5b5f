package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.OutputOrderTck;
import java.util.List;

/** Output order and terminal mode on the local bubblewrap backend (with its pre-started runtimes): the {@link OutputOrderTck}. */
class LocalOutputOrderTest extends OutputOrderTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
