package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PrestartTck;
import java.util.List;

/** Pre-started interpreters in the Docker backend's warm pool (runc): the {@link PrestartTck}. */
class DockerPrestartTest extends PrestartTck {
    @Override
    protected SandboxBackend createWarmBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2));
    }

    @Override
    protected SandboxBackend createColdBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2).pool(false));
    }

    @Override
    protected long prestartedRuns(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).pool().interpretersServed();
    }

    @Override
    protected int readyInterpreters(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).pool().readyInterpreters();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
