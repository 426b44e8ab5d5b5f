package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.TerminalTck;
import java.util.List;

/**
 * The Docker backend's terminal workspaces against the terminal test kit. Needs a running daemon and
 * the language images; without them it fails rather than being skipped. Leftovers: containers
 * labelled with the backend instance, workspaces not closed, exec sessions whose streams still run.
 */
class DockerTerminalTest extends TerminalTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).pool(false));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
