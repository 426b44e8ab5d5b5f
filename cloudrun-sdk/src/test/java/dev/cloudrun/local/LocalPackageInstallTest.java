package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PackageInstallTck;
import java.util.List;

/** Package auto-install on the local bubblewrap backend. */
class LocalPackageInstallTest extends PackageInstallTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
