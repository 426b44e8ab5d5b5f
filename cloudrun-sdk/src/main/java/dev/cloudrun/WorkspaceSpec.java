package dev.cloudrun;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Workspace} is: the language whose toolchain it holds (its image on Docker), the
 * project's files it starts with, and its limits. Every limit is enforced by the kernel for the
 * whole workspace (every shell, every program started in it): memory, processes, CPU share and
 * the size of its file tree. The network is off unless {@link #withNetwork(boolean) asked for},
 * and then it is behind the same fence as runs. A workspace closes itself after
 * {@link #idleTimeout()} without a terminal or a run, and after {@link #maxLifetime()} in any case.
 *
 * @param language the language id or alias ({@code python}, {@code cpp}, ...)
 * @param files the starting files, by relative path
 * @param memoryBytes memory of all its processes together
 * @param maxProcesses processes and threads at once
 * @param cpus CPU share, in CPUs (1.0 = one core)
 * @param diskBytes the file tree's size cap
 * @param network whether programs may reach the network (behind the fence)
 * @param idleTimeout how long it stays open with no terminal open and no run going on
 * @param maxLifetime how long it stays open at most
 */
public record WorkspaceSpec(String language, Map<String, byte[]> files, long memoryBytes, int maxProcesses, double cpus,
                            long diskBytes, boolean network, Duration idleTimeout, Duration maxLifetime) {

    /** Memory by default: 512 MiB. */
    public static final long DEFAULT_MEMORY_BYTES = 512L << 20;
    /** Processes by default. */
    public static final int DEFAULT_MAX_PROCESSES = 128;
    /** CPU share by default: one core. */
    public static final double DEFAULT_CPUS = 1.0;
    /** File tree cap by default: 256 MiB. */
    public static final long DEFAULT_DISK_BYTES = 256L << 20;
    /** Idle timeout by default: 15 minutes. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(15);
    /** Maximum lifetime by default: 8 hours. */
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(8);

    /** Checks and copies the components. */
    public WorkspaceSpec {
        Objects.requireNonNull(language, "language");
        Map<String, byte[]> copy = new LinkedHashMap<>();
        Objects.requireNonNull(files, "files").forEach((path, content) -> copy.put(path, content.clone()));
        files = java.util.Collections.unmodifiableMap(copy);
        if (memoryBytes <= 0) {
            throw new InvalidRequestException("memoryBytes", "must be positive");
        }
        if (maxProcesses <= 0) {
            throw new InvalidRequestException("maxProcesses", "must be positive");
        }
        if (!(cpus > 0)) {
            throw new InvalidRequestException("cpus", "must be positive");
        }
        if (diskBytes <= 0) {
            throw new InvalidRequestException("diskBytes", "must be positive");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new InvalidRequestException("idleTimeout", "must be positive");
        }
        if (maxLifetime.isNegative() || maxLifetime.isZero()) {
            throw new InvalidRequestException("maxLifetime", "must be positive");
        }
    }

    /**
     * @param language the language id or alias
     * @return a workspace of that language with no files and the default limits, network off
     */
    public static WorkspaceSpec of(String language) {
        return new WorkspaceSpec(language, Map.of(), DEFAULT_MEMORY_BYTES, DEFAULT_MAX_PROCESSES, DEFAULT_CPUS,
                DEFAULT_DISK_BYTES, false, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_LIFETIME);
    }

    /** @param files the starting files @return a copy with these files */
    public WorkspaceSpec withFiles(Map<String, byte[]> files) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, cpus, diskBytes, network, idleTimeout, maxLifetime);
    }

    /** @param bytes the memory cap @return a copy with it */
    public WorkspaceSpec withMemoryBytes(long bytes) {
        return new WorkspaceSpec(language, files, bytes, maxProcesses, cpus, diskBytes, network, idleTimeout, maxLifetime);
    }

    /** @param count the process cap @return a copy with it */
    public WorkspaceSpec withMaxProcesses(int count) {
        return new WorkspaceSpec(language, files, memoryBytes, count, cpus, diskBytes, network, idleTimeout, maxLifetime);
    }

    /** @param share the CPU share in CPUs @return a copy with it */
    public WorkspaceSpec withCpus(double share) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, share, diskBytes, network, idleTimeout, maxLifetime);
    }

    /** @param bytes the file tree cap @return a copy with it */
    public WorkspaceSpec withDiskBytes(long bytes) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, cpus, bytes, network, idleTimeout, maxLifetime);
    }

    /** @param on whether programs may reach the network, behind the fence @return a copy with it */
    public WorkspaceSpec withNetwork(boolean on) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, cpus, diskBytes, on, idleTimeout, maxLifetime);
    }

    /** @param timeout the idle timeout @return a copy with it */
    public WorkspaceSpec withIdleTimeout(Duration timeout) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, cpus, diskBytes, network, timeout, maxLifetime);
    }

    /** @param lifetime the maximum lifetime @return a copy with it */
    public WorkspaceSpec withMaxLifetime(Duration lifetime) {
        return new WorkspaceSpec(language, files, memoryBytes, maxProcesses, cpus, diskBytes, network, idleTimeout, lifetime);
    }
}
