package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.CompileCacheTck;
import java.util.List;

/** The compile cache on the local bubblewrap backend. */
class LocalCompileCacheTest extends CompileCacheTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
