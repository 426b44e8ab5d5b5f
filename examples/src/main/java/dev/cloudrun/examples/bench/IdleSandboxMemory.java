package dev.cloudrun.examples.bench;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.docker.DockerPoolStatistics;
import dev.cloudrun.docker.DockerSandboxBackend;
import java.util.Optional;
import java.util.UUID;

/**
 * The memory an idle pooled sandbox holds while it waits for a run: a Python hello world teaches the
 * backend's warm pool the step, the pool builds a sandbox for the next run (under runc with its
 * interpreter pre-started), and once it is ready and has settled, the memory its containers' cgroups
 * are charged ({@code memory.usage_in_bytes} under cgroup v1, {@code memory.current} under v2, page
 * cache included, as the kernel counts it against the limit) divided by the ready sandboxes.
 */
final class IdleSandboxMemory {
    private static final long SETTLE_MILLIS = 2000;
    private static final long WAIT_MILLIS = 30_000;

    private IdleSandboxMemory() { }

    /**
     * @param runner a runner on the backend
     * @param backend the Docker backend, with its pool on
     * @return the bytes one ready sandbox is charged, or empty when none became ready or its cgroups are not readable
     */
    static Optional<Long> measure(CodeRunner runner, DockerSandboxBackend backend) {
        try {
            runner.run(RunRequest.of("python", "print('idle soon') # " + UUID.randomUUID()));
            long deadline = System.currentTimeMillis() + WAIT_MILLIS;
            while (backend.poolStatistics().ready() == 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(SETTLE_MILLIS);
            DockerPoolStatistics statistics = backend.poolStatistics();
            if (statistics.ready() == 0 || statistics.idleMemoryBytes() < 0) {
                return Optional.empty();
            }
            return Optional.of(statistics.idleMemoryBytes() / statistics.ready());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
