package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.SandboxBackendTck;
import java.util.List;

/**
 * The Docker backend against the whole test kit. Needs a running daemon and the language images
 * ({@code images/build.sh}); without them it fails rather than being skipped.
 */
class DockerBackendTckTest extends SandboxBackendTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(10));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
