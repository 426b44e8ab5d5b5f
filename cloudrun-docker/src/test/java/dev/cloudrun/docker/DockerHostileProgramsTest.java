package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.HostileProgramsTck;
import java.util.List;

/**
 * The Docker backend against the hostile-program suite. Needs a running daemon and the language
 * images ({@code images/build.sh}); without them it fails rather than being skipped.
 */
class DockerHostileProgramsTest extends HostileProgramsTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
