package dev.cloudrun.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The memory an idle sandbox holds while it waits for a run. Docker has no warm pool yet, so this
 * starts one container like CloudRun's workspace keeper, lets it settle and reads its cgroup's
 * charge ({@code memory.usage_in_bytes} under cgroup v1, {@code memory.current} under v2, page cache
 * included, as the kernel counts it against the limit). When the pool exists, {@link #measure}
 * should ask the pool for one of its idle containers instead.
 */
final class IdleSandboxMemory {
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");
    private static final long SETTLE_MILLIS = 2000;

    private IdleSandboxMemory() { }

    /**
     * Measures one idle container.
     *
     * @param docker the Docker CLI
     * @param image the image (the Python one, say)
     * @param runtime the Docker runtime
     * @return the bytes charged to its cgroup, or empty when its cgroup is not readable here
     * @throws IllegalStateException if the container does not start
     */
    static Optional<Long> measure(DockerCli docker, String image, String runtime) {
        String id = docker.startIdle(image, runtime);
        try {
            Thread.sleep(SETTLE_MILLIS);
            return chargedBytes(id);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            docker.remove(id);
        }
    }

    private static Optional<Long> chargedBytes(String containerId) {
        List<Path> candidates = List.of(
                CGROUP.resolve("memory/docker").resolve(containerId).resolve("memory.usage_in_bytes"),
                CGROUP.resolve("memory/system.slice/docker-" + containerId + ".scope/memory.usage_in_bytes"),
                CGROUP.resolve("system.slice/docker-" + containerId + ".scope/memory.current"),
                CGROUP.resolve("docker").resolve(containerId).resolve("memory.current"));
        for (Path candidate : candidates) {
            try {
                return Optional.of(Long.parseLong(Files.readString(candidate).strip()));
            } catch (IOException | NumberFormatException e) {
                // Not this layout; try the next one.
            }
        }
        return Optional.empty();
    }
}
