package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.InterpreterTck;
import java.util.List;

/**
 * The Docker backend's stateful interpreters against the interpreter kit. Needs a running daemon and
 * the Python image; without them it fails rather than being skipped.
 */
class DockerInterpreterTest extends InterpreterTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).pool(false));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
