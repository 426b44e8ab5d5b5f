package dev.cloudrun.local;

import dev.cloudrun.Limits;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * cgroup v2: the JVM's own cgroup must be able to delegate memory, pids and cpu to children
 * (true for a systemd service or a container with a private cgroup namespace).
 */
final class CgroupsV2 extends Cgroups {
    private static final String CONTROLLERS = "+memory +pids +cpu";

    private final Path own;
    private final Path base;

    CgroupsV2(Path own, String instanceName) {
        this.own = own;
        this.base = own.resolve(instanceName);
    }

    @Override
    void createBase() throws IOException {
        CgroupFiles.write(own.resolve("cgroup.subtree_control"), CONTROLLERS);
        Files.createDirectories(base);
        CgroupFiles.write(base.resolve("cgroup.subtree_control"), CONTROLLERS);
    }

    @Override
    void sweepStale() {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(own, FOLDER_PREFIX + "*")) {
            for (Path stale : stream) {
                if (Files.isDirectory(stale) && !ownerAlive(stale.getFileName().toString())) {
                    removeTree(stale);
                }
            }
        } catch (IOException e) {
            // Nothing to sweep.
        }
    }

    /** Kills what is in the cgroup and every cgroup below, and removes them, deepest first. */
    private static void removeTree(Path dir) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
            for (Path child : children) {
                if (Files.isDirectory(child)) {
                    removeTree(child);
                }
            }
        }
        CgroupFiles.killPids(dir.resolve("cgroup.procs"));
        CgroupFiles.remove(dir);
    }

    @Override
    Cgroup create(String name, Limits limits) throws IOException {
        return create(name, limits.memoryBytes(), limits.maxProcesses(), 0);
    }

    @Override
    Cgroup createWorkspace(String name, long memoryBytes, int maxProcesses, double cpus) throws IOException {
        Cgroup workspace = create(name, memoryBytes, maxProcesses, cpus);
        try {
            // Its steps' cgroups below it get the same controllers.
            CgroupFiles.write(base.resolve(name).resolve("cgroup.subtree_control"), CONTROLLERS);
        } catch (IOException e) {
            workspace.destroy();
            throw e;
        }
        return workspace;
    }

    /** @param cpus a CPU quota in CPUs, or 0 for none of its own */
    private Cgroup create(String name, long memoryBytes, int maxProcesses, double cpus) throws IOException {
        Path dir = base.resolve(name);
        Files.createDirectory(dir);
        try {
            CgroupFiles.write(dir.resolve("memory.max"), Long.toString(memoryBytes));
            if (Files.exists(dir.resolve("memory.swap.max"))) {
                CgroupFiles.write(dir.resolve("memory.swap.max"), "0");
            }
            CgroupFiles.write(dir.resolve("pids.max"), Integer.toString(maxProcesses));
            if (cpus > 0) {
                long period = 100_000;
                CgroupFiles.write(dir.resolve("cpu.max"), Math.max(1000, Math.round(cpus * period)) + " " + period);
            }
        } catch (IOException | RuntimeException e) {
            CgroupFiles.remove(dir);
            throw e;
        }
        return new Step(dir);
    }

    @Override
    List<Path> children() {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(base)) {
            stream.forEach(child -> {
                if (Files.isDirectory(child)) {
                    children.add(child);
                }
            });
        } catch (IOException e) {
            // The base is gone: no children.
        }
        return children;
    }

    @Override
    void close() {
        try {
            removeTree(base);
        } catch (IOException e) {
            // Already gone.
        }
    }

    private static final class Step implements Cgroup {
        private final Path dir;

        Step(Path dir) {
            this.dir = dir;
        }

        @Override
        public List<Path> procsFiles() {
            return List.of(dir.resolve("cgroup.procs"));
        }

        @Override
        public Duration cpuTime() {
            return Duration.ofNanos(CgroupFiles.readKey(dir.resolve("cpu.stat"), "usage_usec") * 1000);
        }

        @Override
        public long peakMemoryBytes() {
            long peak = CgroupFiles.readLong(dir.resolve("memory.peak"));
            return peak > 0 ? peak : CgroupFiles.readLong(dir.resolve("memory.current"));
        }

        @Override
        public long currentMemoryBytes() {
            return CgroupFiles.readLong(dir.resolve("memory.current"));
        }

        @Override
        public boolean oomKilled() {
            return CgroupFiles.readKey(dir.resolve("memory.events"), "oom_kill") > 0;
        }

        @Override
        public long processCount() {
            return CgroupFiles.readLong(dir.resolve("pids.current"));
        }

        @Override
        public boolean hasProcesses() {
            // "populated" counts the cgroups below (a workspace's steps) too.
            return !CgroupFiles.pids(dir.resolve("cgroup.procs")).isEmpty()
                    || CgroupFiles.readKey(dir.resolve("cgroup.events"), "populated") > 0;
        }

        @Override
        public void killAll() {
            try {
                CgroupFiles.write(dir.resolve("cgroup.kill"), "1");
            } catch (IOException e) {
                CgroupFiles.killPids(dir.resolve("cgroup.procs"));
            }
        }

        @Override
        public void destroy() {
            if (hasProcesses()) {
                killAll();
            }
            try {
                removeTree(dir);
            } catch (IOException e) {
                CgroupFiles.remove(dir);
            }
        }
    }
}
