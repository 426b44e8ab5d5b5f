package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.SandboxBackendTck;
import java.util.List;

/**
 * The Docker backend with gVisor ({@code runsc}) as the container runtime, against the whole test
 * kit. Needs runsc registered with the daemon ({@code scripts/enable-gvisor.sh}, which CI's
 * {@code scripts/start-docker.sh} runs); without it backend creation fails with a message naming
 * that script, rather than the test being skipped.
 */
class DockerRunscBackendTckTest extends SandboxBackendTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(10).runtime("runsc"));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
