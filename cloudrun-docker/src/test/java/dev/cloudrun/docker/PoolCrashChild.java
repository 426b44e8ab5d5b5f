package dev.cloudrun.docker;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;

/**
 * A JVM for {@link DockerPoolTest} that warms a pool, says so and waits to be killed without
 * closing anything, as a crash would.
 */
final class PoolCrashChild {
    private PoolCrashChild() { }

    public static void main(String[] args) throws Exception {
        DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions());
        CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
        runner.run(RunRequest.of("python", "print(1)"));
        while (backend.pool().readyTotal() < 1) {
            Thread.sleep(20);
        }
        System.out.println("READY " + backend.instanceId());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
