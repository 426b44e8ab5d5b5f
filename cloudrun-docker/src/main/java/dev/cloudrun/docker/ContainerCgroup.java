package dev.cloudrun.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Reads CPU time and peak memory from a cgroup on this host (the daemon must be local): cgroup v1
 * ({@code cpuacct.usage}, {@code memory.max_usage_in_bytes}) and v2 ({@code cpu.stat},
 * {@code memory.peak}).
 *
 * <p>runc removes a container's own cgroup as soon as it stops, so the backend starts each
 * container under a parent cgroup of its own ({@code --cgroup-parent}); both counters are
 * hierarchical and the parent outlives the container, so the final figures are read after it has
 * stopped. Without that (systemd cgroup driver), the container's cgroup is sampled while it runs.
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

    /** The folder, under every controller, holding the backend's per-step parent cgroups. */
    static final String PARENT_ROOT = "cloudrun.docker";

    /** @return whether step parents can be created here: cgroup v1 or v2 mounted and writable by this JVM */
    static boolean parentsSupported() {
        Path probe = Files.isDirectory(ROOT.resolve("memory")) ? ROOT.resolve("memory") : ROOT;
        return Files.isWritable(probe) && (Files.isRegularFile(ROOT.resolve("cgroup.controllers"))
                || Files.isRegularFile(ROOT.resolve("cpuacct").resolve("cpuacct.usage")));
    }

    /**
     * A step's parent cgroup, once the container started in it has created it.
     *
     * @param name the step's folder name under {@link #PARENT_ROOT}
     * @return the cgroup, or empty if it does not exist (yet)
     */
    static Optional<ContainerCgroup> parent(String name) {
        String leaf = PARENT_ROOT + "/" + name;
        Path cpu = ROOT.resolve("cpuacct").resolve(leaf);
        Path memory = ROOT.resolve("memory").resolve(leaf);
        if (Files.isRegularFile(cpu.resolve("cpuacct.usage")) && Files.isRegularFile(memory.resolve("memory.max_usage_in_bytes"))) {
            return Optional.of(new ContainerCgroup(cpu, memory, false));
        }
        Path unified = ROOT.resolve(leaf);
        if (Files.isRegularFile(unified.resolve("cpu.stat"))) {
            return Optional.of(new ContainerCgroup(unified, unified, true));
        }
        return Optional.empty();
    }

    /**
     * Removes a step's parent cgroup under every controller (runc created it under each), and the
     * container's cgroup inside it if runc left it behind. Fails while processes remain in it.
     *
     * @param name the step's folder name
     * @return true if nothing of it is left
     */
    static boolean removeParent(String name) {
        boolean clean = true;
        for (Path dir : parentFolders(name)) {
            try {
                // A container's own cgroup is left inside when its daemon crashed; empty, it can go.
                try (java.util.stream.Stream<Path> children = Files.list(dir)) {
                    for (Path child : children.filter(c -> Files.isDirectory(c, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList()) {
                        Files.deleteIfExists(child);
                    }
                }
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                clean = false;
            }
        }
        return clean;
    }

    /**
     * Kills (SIGKILL) every process left in a step's parent cgroup: the last resort when its
     * container is gone from the daemon (a crashed daemon can leave the task running).
     *
     * @param name the step's folder name
     * @return how many processes were signalled
     */
    static int killAll(String name) {
        int killed = 0;
        for (Path dir : parentFolders(name)) {
            try (java.util.stream.Stream<Path> files = Files.walk(dir, 2)) {
                for (Path procs : files.filter(f -> f.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String line : read(procs).split("\n")) {
                        if (!line.isBlank()) {
                            killed += ProcessHandle.of(Long.parseLong(line.trim())).map(ProcessHandle::destroyForcibly)
                                    .orElse(false) ? 1 : 0;
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // Gone meanwhile.
            }
            if (killed > 0) {
                return killed;
            }
        }
        return killed;
    }

    /** @return the existing folders of a step's parent (or, with a null name, of every step parent) */
    static List<Path> parentFolders(String name) {
        List<Path> found = new java.util.ArrayList<>();
        List<Path> roots = new java.util.ArrayList<>(List.of(ROOT));
        try (java.util.stream.Stream<Path> controllers = Files.list(ROOT)) {
            controllers.filter(dir -> Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)).forEach(roots::add);
        } catch (IOException e) {
            return found;
        }
        for (Path controller : roots) {
            Path base = controller.resolve(PARENT_ROOT);
            if (name != null) {
                if (Files.isDirectory(base.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    found.add(base.resolve(name));
                }
                continue;
            }
            try (java.util.stream.Stream<Path> steps = Files.list(base)) {
                steps.filter(dir -> Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)).forEach(found::add);
            } catch (IOException e) {
                // No step parents under this controller.
            }
        }
        return found;
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

    /** @return the memory charged now in bytes (page cache included), or -1 if the cgroup is gone */
    long memoryBytes() {
        try {
            return Long.parseLong(read(memoryDir.resolve(v2 ? "memory.current" : "memory.usage_in_bytes")));
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

    /**
     * Starts the peak-memory record afresh from the current usage, where the kernel allows it
     * (cgroup v1's {@code memory.max_usage_in_bytes}; v2's {@code memory.peak} keeps the whole
     * lifetime's peak, which then includes what ran before).
     */
    void resetPeakMemory() {
        if (!v2) {
            try {
                Files.writeString(memoryDir.resolve("memory.max_usage_in_bytes"), "0");
            } catch (IOException e) {
                // Not writable here: the peak includes what ran before.
            }
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
