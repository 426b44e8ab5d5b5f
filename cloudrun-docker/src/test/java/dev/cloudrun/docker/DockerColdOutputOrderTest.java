package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.OutputOrderTck;
import java.util.List;

/**
 * Output order and terminal mode on the Docker backend without a pool (every step a new container,
 * its output demultiplexed from the attach stream): the {@link OutputOrderTck}.
 */
class DockerColdOutputOrderTest extends OutputOrderTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2).pool(false));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
