package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.OutputViewTck;
import java.util.List;

/** Output as read-only views on the local bubblewrap backend (with its pre-started runtimes): the {@link OutputViewTck}. */
class LocalOutputViewTest extends OutputViewTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
