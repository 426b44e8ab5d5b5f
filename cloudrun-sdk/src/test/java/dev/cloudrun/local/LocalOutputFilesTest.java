package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.OutputFilesTck;
import java.util.List;

/** Output files on the local bubblewrap backend. */
class LocalOutputFilesTest extends OutputFilesTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
