package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.TerminalTck;
import java.util.List;

/** The local bubblewrap backend's terminal workspaces against the terminal kit. */
class LocalTerminalTest extends TerminalTck {
    @Override
    protected SandboxBackend createBackend() {
        // No pre-started runtimes: the leak checks then see only what the workspaces left.
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
