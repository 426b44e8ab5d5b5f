package dev.cloudrun.docker;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.WorkspaceSpec;

/**
 * A JVM for {@link DockerPoolTest} that warms a pool, says so and waits to be killed without
 * closing anything, as a crash would. With the argument {@code workspace} (for
 * {@link DockerWorkspacePoolTest}) it warms the workspace pool instead: one workspace opened and
 * closed, then a ready container.
 */
final class PoolCrashChild {
    private PoolCrashChild() { }

    public static void main(String[] args) throws Exception {
        DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions());
        CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
        if (args.length > 0 && args[0].equals("workspace")) {
            runner.openWorkspace(WorkspaceSpec.of("python")).close();
            while (backend.workspacePool().readyTotal() < 1) {
                Thread.sleep(20);
            }
        } else {
            runner.run(RunRequest.of("python", "print(1)"));
            while (backend.pool().readyTotal() < 1) {
                Thread.sleep(20);
            }
        }
        System.out.println("READY " + backend.instanceId());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
