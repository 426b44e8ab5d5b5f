package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PackageInstallTck;
import java.util.List;

/**
 * Package auto-install on the Docker backend. Install steps use the host's network here, so that
 * they reach the test's package index on loopback; runs still get network mode none.
 */
class DockerPackageInstallTest extends PackageInstallTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().networkMode("host"));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
