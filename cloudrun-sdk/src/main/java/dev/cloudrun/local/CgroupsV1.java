package dev.cloudrun.local;

import dev.cloudrun.Limits;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * cgroup v1: one directory per controller (memory, pids, cpuacct, and freezer and cpu when
 * mounted). Every hierarchy has the same tree: a workspace's steps are folders below its own.
 */
final class CgroupsV1 extends Cgroups {
    /** The CFS period a workspace's CPU quota is counted in, in microseconds. */
    private static final long CPU_PERIOD_MICROS = 100_000;

    private final Map<String, Path> own;
    private final String instanceName;

    CgroupsV1(Map<String, Path> own, String instanceName) {
        this.own = own;
        this.instanceName = instanceName;
    }

    private List<String> controllers() {
        return controllers(true);
    }

    /**
     * @param cpu whether with the cpu controller (where it is mounted apart from cpuacct): only
     *     workspaces and what runs below them need it, for their CPU quota
     */
    private List<String> controllers(boolean cpu) {
        List<String> list = new ArrayList<>(List.of("memory", "pids", "cpuacct"));
        if (own.containsKey("freezer")) {
            list.add("freezer");
        }
        if (cpu && own.containsKey("cpu") && !own.get("cpu").equals(own.get("cpuacct"))) {
            list.add("cpu");
        }
        return list;
    }

    @Override
    void createBase() throws IOException {
        for (String controller : controllers()) {
            Files.createDirectories(own.get(controller).resolve(instanceName));
        }
    }

    @Override
    void sweepStale() {
        for (String controller : controllers()) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(own.get(controller), FOLDER_PREFIX + "*")) {
                for (Path base : stream) {
                    if (Files.isDirectory(base) && !ownerAlive(base.getFileName().toString())) {
                        removeTree(base);
                    }
                }
            } catch (IOException e) {
                // Nothing to sweep.
            }
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
        return create(name, memoryBytes, maxProcesses, cpus);
    }

    /** @param cpus a CPU quota in CPUs, or 0 for none of its own */
    private Cgroup create(String name, long memoryBytes, int maxProcesses, double cpus) throws IOException {
        List<Path> dirs = new ArrayList<>();
        Path freezer = null;
        Path cpu = null;
        try {
            // A run's step keeps out of the cpu hierarchy: a group of its own there would change how it is scheduled.
            for (String controller : controllers(cpus > 0 || name.contains("/"))) {
                Path dir = own.get(controller).resolve(instanceName).resolve(name);
                Files.createDirectory(dir);
                dirs.add(dir);
                if (controller.equals("freezer")) {
                    freezer = dir;
                } else if (controller.equals("cpu")) {
                    cpu = dir;
                }
            }
            Path memory = dirs.get(0);
            CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryBytes));
            if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
                CgroupFiles.write(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryBytes));
            }
            CgroupFiles.write(dirs.get(1).resolve("pids.max"), Integer.toString(maxProcesses));
            if (cpus > 0) {
                Path quotaDir = cpu != null ? cpu : dirs.get(2);
                if (!Files.exists(quotaDir.resolve("cpu.cfs_quota_us"))) {
                    throw new IOException("no cpu controller to enforce a CPU share");
                }
                CgroupFiles.write(quotaDir.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_MICROS));
                CgroupFiles.write(quotaDir.resolve("cpu.cfs_quota_us"),
                        Long.toString(Math.max(1000, Math.round(cpus * CPU_PERIOD_MICROS))));
            }
        } catch (IOException | RuntimeException e) {
            for (int i = dirs.size() - 1; i >= 0; i--) {
                CgroupFiles.remove(dirs.get(i));
            }
            throw e;
        }
        return new Step(dirs, freezer);
    }

    @Override
    List<Path> children() {
        List<Path> children = new ArrayList<>();
        for (String controller : controllers()) {
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(own.get(controller).resolve(instanceName))) {
                for (Path child : stream) {
                    if (Files.isDirectory(child)) {
                        children.add(child);
                    }
                }
            } catch (IOException e) {
                // The base is gone: no children.
            }
        }
        return children;
    }

    @Override
    void close() {
        for (String controller : controllers()) {
            try {
                removeTree(own.get(controller).resolve(instanceName));
            } catch (IOException e) {
                // Already gone.
            }
        }
    }

    /** The directories of one cgroup, in the order memory, pids, cpuacct[, freezer][, cpu]. */
    private static final class Step implements Cgroup {
        private final List<Path> dirs;
        private final Path freezer;

        Step(List<Path> dirs, Path freezer) {
            this.dirs = dirs;
            this.freezer = freezer;
        }

        @Override
        public List<Path> procsFiles() {
            return dirs.stream().map(dir -> dir.resolve("cgroup.procs")).toList();
        }

        @Override
        public Duration cpuTime() {
            return Duration.ofNanos(CgroupFiles.readLong(dirs.get(2).resolve("cpuacct.usage")));
        }

        @Override
        public long peakMemoryBytes() {
            return CgroupFiles.readLong(dirs.get(0).resolve("memory.max_usage_in_bytes"));
        }

        @Override
        public long currentMemoryBytes() {
            return CgroupFiles.readLong(dirs.get(0).resolve("memory.usage_in_bytes"));
        }

        @Override
        public boolean oomKilled() {
            return CgroupFiles.readKey(dirs.get(0).resolve("memory.oom_control"), "oom_kill") > 0;
        }

        /** @return the {@code cgroup.procs} files of the pids cgroup and every one below it */
        private List<Path> procsBelow() {
            List<Path> files = new ArrayList<>();
            collect(dirs.get(1), files);
            return files;
        }

        private static void collect(Path dir, List<Path> files) {
            files.add(dir.resolve("cgroup.procs"));
            try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
                for (Path child : children) {
                    if (Files.isDirectory(child)) {
                        collect(child, files);
                    }
                }
            } catch (IOException e) {
                // Gone meanwhile: nothing below.
            }
        }

        @Override
        public long processCount() {
            return CgroupFiles.readLong(dirs.get(1).resolve("pids.current"));
        }

        @Override
        public boolean hasProcesses() {
            return procsBelow().stream().anyMatch(file -> !CgroupFiles.pids(file).isEmpty());
        }

        @Override
        public void killAll() {
            try {
                if (freezer != null) {
                    // Freezing is hierarchical: nothing in or below can fork while it is killed.
                    CgroupFiles.write(freezer.resolve("freezer.state"), "FROZEN");
                }
                for (int round = 0; round < 50 && hasProcesses(); round++) {
                    procsBelow().forEach(CgroupFiles::killPids);
                    if (freezer != null && round == 0) {
                        CgroupFiles.write(freezer.resolve("freezer.state"), "THAWED");
                    }
                }
            } catch (IOException e) {
                procsBelow().forEach(CgroupFiles::killPids);
            } finally {
                if (freezer != null) {
                    try {
                        CgroupFiles.write(freezer.resolve("freezer.state"), "THAWED");
                    } catch (IOException e) {
                        // The cgroup is already gone.
                    }
                }
            }
        }

        @Override
        public void destroy() {
            if (hasProcesses()) {
                killAll();
            }
            for (Path dir : dirs) {
                try {
                    removeTree(dir);
                } catch (IOException e) {
                    // Already gone.
                }
            }
        }
    }
}
