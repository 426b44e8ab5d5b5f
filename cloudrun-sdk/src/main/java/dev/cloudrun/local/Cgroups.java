package dev.cloudrun.local;

import dev.cloudrun.Limits;
import dev.cloudrun.internal.ProcessOwner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a writable cgroup hierarchy for this JVM (v1 with the memory, pids and cpuacct controllers,
 * or v2 with memory, pids and cpu) and creates per-step cgroups below its own cgroup, in a folder
 * named after this backend instance. Folders of instances whose JVM is gone are swept at start-up.
 */
abstract class Cgroups {
    private static final Logger LOG = LoggerFactory.getLogger(Cgroups.class);
    static final String FOLDER_PREFIX = "cloudrun-";

    /** @return the hierarchy, or empty when no usable one is writable (limits then rest on rlimits) */
    static Optional<Cgroups> detect(String instanceName) {
        try {
            Map<String, Path> v1 = v1Controllers();
            if (v1.keySet().containsAll(List.of("memory", "pids", "cpuacct"))) {
                CgroupsV1 cgroups = new CgroupsV1(v1, instanceName);
                cgroups.sweepStale();
                cgroups.createBase();
                return Optional.of(cgroups);
            }
            Optional<Path> v2 = v2OwnDirectory();
            if (v2.isPresent()) {
                CgroupsV2 cgroups = new CgroupsV2(v2.get(), instanceName);
                cgroups.sweepStale();
                cgroups.createBase();
                return Optional.of(cgroups);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cgroups are not usable here ({}); memory and process limits fall back to rlimits", e.toString());
        }
        return Optional.empty();
    }

    /** @return a new cgroup for one step, with the limits applied */
    abstract Cgroup create(String name, Limits limits) throws IOException;

    /**
     * Creates a workspace's cgroup; its steps' cgroups are then made below it, by
     * {@link #create} with the name {@code workspace/step}.
     *
     * @param name the workspace's cgroup name
     * @param memoryBytes the memory of everything in it together (swap none)
     * @param maxProcesses processes and threads in it together
     * @param cpus its CPU share, as a CFS quota of that many CPUs
     * @return the cgroup
     * @throws IOException if the cgroup cannot be created
     */
    abstract Cgroup createWorkspace(String name, long memoryBytes, int maxProcesses, double cpus) throws IOException;

    /** @return the folders of this instance's cgroups, for leak checks */
    abstract List<Path> children();

    /** Removes this instance's folder. */
    abstract void close();

    abstract void createBase() throws IOException;

    abstract void sweepStale();

    /** @return each v1 controller this process can use, mapped to the directory of its own cgroup */
    private static Map<String, Path> v1Controllers() throws IOException {
        Map<String, Path> mounts = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] halves = line.split(" - ", 2);
            if (halves.length < 2) {
                continue;
            }
            String[] left = halves[0].split(" ");
            String[] right = halves[1].split(" ");
            if (!right[0].equals("cgroup") || right.length < 3 || !left[3].equals("/")) {
                continue;
            }
            for (String option : right[2].split(",")) {
                mounts.put(option, Path.of(left[4]));
            }
        }
        Map<String, Path> own = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8)) {
            String[] parts = line.split(":", 3);
            if (parts.length < 3 || parts[1].isEmpty()) {
                continue;
            }
            for (String controller : parts[1].split(",")) {
                Path mount = mounts.get(controller);
                if (mount != null) {
                    Path dir = Path.of(mount + parts[2]);
                    if (Files.isWritable(dir)) {
                        own.put(controller, dir);
                    }
                }
            }
        }
        return own;
    }

    private static Optional<Path> v2OwnDirectory() throws IOException {
        Path mount = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                mount = Path.of(halves[0].split(" ")[4]);
                break;
            }
        }
        if (mount == null) {
            return Optional.empty();
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8)) {
            if (line.startsWith("0::")) {
                Path dir = Path.of(mount + line.substring(3));
                String controllers = CgroupFiles.read(dir.resolve("cgroup.controllers"));
                if (controllers.contains("memory") && controllers.contains("pids") && controllers.contains("cpu")
                        && Files.isWritable(dir)) {
                    return Optional.of(dir);
                }
            }
        }
        return Optional.empty();
    }

    /** @return whether the JVM that named a folder {@code cloudrun-PID-...} is still alive */
    static boolean ownerAlive(String folderName) {
        String[] parts = folderName.substring(FOLDER_PREFIX.length()).split("-", 2);
        try {
            return ProcessOwner.isAlive(Long.parseLong(parts[0]));
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
