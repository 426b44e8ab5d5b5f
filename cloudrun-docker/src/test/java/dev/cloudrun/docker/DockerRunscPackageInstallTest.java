package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PackageInstallTck;
import java.util.List;

/**
 * Package auto-install on the Docker backend with gVisor ({@code runsc}). As in
 * {@link DockerPackageInstallTest}, install steps use the host's network to reach the test's package
 * index on loopback (through {@code runsc-net}); runs get no network, under {@code runsc}.
 */
class DockerRunscPackageInstallTest extends PackageInstallTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().networkMode("host").runtime("runsc"));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
