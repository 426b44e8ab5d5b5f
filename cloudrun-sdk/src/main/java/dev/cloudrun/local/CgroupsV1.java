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

/** cgroup v1: one directory per controller (memory, pids, cpuacct, and freezer when mounted). */
final class CgroupsV1 extends Cgroups {
    private final Map<String, Path> own;
    private final String instanceName;

    CgroupsV1(Map<String, Path> own, String instanceName) {
        this.own = own;
        this.instanceName = instanceName;
    }

    private List<String> controllers() {
        List<String> list = new ArrayList<>(List.of("memory", "pids", "cpuacct"));
        if (own.containsKey("freezer")) {
            list.add("freezer");
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

    private static void removeTree(Path base) throws IOException {
        try (DirectoryStream<Path> children = Files.newDirectoryStream(base)) {
            for (Path child : children) {
                if (Files.isDirectory(child)) {
                    CgroupFiles.killPids(child.resolve("cgroup.procs"));
                    CgroupFiles.remove(child);
                }
            }
        }
        CgroupFiles.remove(base);
    }

    @Override
    Cgroup create(String name, Limits limits) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try {
            for (String controller : controllers()) {
                Path dir = own.get(controller).resolve(instanceName).resolve(name);
                Files.createDirectory(dir);
                dirs.add(dir);
            }
            Path memory = dirs.get(0);
            CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
            if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
                CgroupFiles.write(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
            }
            CgroupFiles.write(dirs.get(1).resolve("pids.max"), Integer.toString(limits.maxProcesses()));
        } catch (IOException | RuntimeException e) {
            dirs.forEach(CgroupFiles::remove);
            throw e;
        }
        return new Step(dirs);
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

    /** The directories of one step, in the order memory, pids, cpuacct[, freezer]. */
    private static final class Step implements Cgroup {
        private final List<Path> dirs;

        Step(List<Path> dirs) {
            this.dirs = dirs;
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
        public boolean oomKilled() {
            return CgroupFiles.readKey(dirs.get(0).resolve("memory.oom_control"), "oom_kill") > 0;
        }

        @Override
        public boolean hasProcesses() {
            return !CgroupFiles.pids(dirs.get(1).resolve("cgroup.procs")).isEmpty();
        }

        @Override
        public void killAll() {
            Path freezer = dirs.size() > 3 ? dirs.get(3) : null;
            try {
                if (freezer != null) {
                    CgroupFiles.write(freezer.resolve("freezer.state"), "FROZEN");
                }
                for (int round = 0; round < 50 && hasProcesses(); round++) {
                    CgroupFiles.killPids(dirs.get(1).resolve("cgroup.procs"));
                    if (freezer != null && round == 0) {
                        CgroupFiles.write(freezer.resolve("freezer.state"), "THAWED");
                    }
                }
            } catch (IOException e) {
                CgroupFiles.killPids(dirs.get(1).resolve("cgroup.procs"));
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
            dirs.forEach(CgroupFiles::remove);
        }
    }
}
