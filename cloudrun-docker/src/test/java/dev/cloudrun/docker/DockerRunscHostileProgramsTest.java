package dev.cloudrun.docker;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.HostileProgramsTck;
import java.util.List;
import java.util.Set;

/**
 * The Docker backend with gVisor ({@code runsc}) as the container runtime, against the
 * hostile-program suite. Needs runsc registered with the daemon ({@code scripts/enable-gvisor.sh});
 * without it backend creation fails rather than the test being skipped.
 */
class DockerRunscHostileProgramsTest extends HostileProgramsTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).runtime("runsc"));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }

    /**
     * gVisor's ptrace platform stops the program at every system call and starts each process's
     * Sentry task: the planted-links script costs about 1.4 s of the container's CPU time here,
     * 0.1 s under runc.
     */
    @Override
    protected double cpuTimeAllowance() {
        return 4.0;
    }

    /**
     * gVisor's Sentry and Gofer live in the container's memory limit (a Python program holding 48 MiB
     * peaks at about 115 MiB instead of 60 MiB, see docs/sandbox-docker.md).
     */
    @Override
    protected long memoryAllowanceBytes() {
        return 64L * 1024 * 1024;
    }

    /** The workspace is the host's capped tmpfs, which the program sees through gVisor's Gofer. */
    @Override
    protected Set<String> expectedWorkFileSystemTypes() {
        return Set.of("v9fs");
    }
}
