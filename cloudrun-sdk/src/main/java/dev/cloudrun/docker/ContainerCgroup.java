package dev.cloudrun.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads a running container's CPU time and peak memory from its cgroup on this host (the daemon
 * must be local). cgroup v1 ({@code cpuacct.usage}, {@code memory.max_usage_in_bytes}) and v2
 * ({@code cpu.stat}, {@code memory.peak}) are supported. runc removes the cgroup as soon as the
 * container stops, so callers sample while it runs and keep the last values.
 */
final class ContainerCgroup {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final Path cpuDir;
    private final Path memoryDir;
    private final boolean v2;

    private ContainerCgroup(Path cpuDir, Path memoryDir, boolean v2) {
        this.cpuDir = cpuDir;
        this.memoryDir = memoryDir;
        this.v2 = v2;
    }

    /**
     * Finds a container's cgroup under the usual parents (cgroupfs and systemd drivers).
     *
     * @param containerId the full container id
     * @return the cgroup, or empty if not found here
     */
    static Optional<ContainerCgroup> find(String containerId) {
        List<String> leaves = List.of("docker/" + containerId, "system.slice/docker-" + containerId + ".scope");
        for (String leaf : leaves) {
            Path cpu = ROOT.resolve("cpuacct").resolve(leaf);
            Path memory = ROOT.resolve("memory").resolve(leaf);
            if (Files.isRegularFile(cpu.resolve("cpuacct.usage")) && Files.isRegularFile(memory.resolve("memory.max_usage_in_bytes"))) {
                return Optional.of(new ContainerCgroup(cpu, memory, false));
            }
            Path unified = ROOT.resolve(leaf);
            if (Files.isRegularFile(unified.resolve("cpu.stat"))) {
                return Optional.of(new ContainerCgroup(unified, unified, true));
            }
        }
        return Optional.empty();
    }

    /** @return CPU time in nanoseconds, or -1 if the cgroup is gone */
    long cpuNanos() {
        try {
            if (!v2) {
                return Long.parseLong(read(cpuDir.resolve("cpuacct.usage")));
            }
            for (String line : read(cpuDir.resolve("cpu.stat")).split("\n")) {
                if (line.startsWith("usage_usec ")) {
                    return Long.parseLong(line.substring("usage_usec ".length()).trim()) * 1000L;
                }
            }
            return -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** @return peak memory in bytes, or -1 if the cgroup is gone or does not record a peak */
    long peakMemoryBytes() {
        try {
            return Long.parseLong(read(memoryDir.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes")));
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** @return how many processes the kernel's OOM killer has killed in this cgroup, or -1 if unknown */
    long oomKills() {
        try {
            String text = read(memoryDir.resolve(v2 ? "memory.events" : "memory.oom_control"));
            for (String line : text.split("\n")) {
                if (line.startsWith("oom_kill ")) {
                    return Long.parseLong(line.substring("oom_kill ".length()).trim());
                }
            }
            return -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
    }
}
