package dev.cloudrun.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Which JVM owns what a backend leaves on the host (folders, cgroups, containers), and whether that
 * JVM is still alive: the one test every stale sweep makes before it removes a crashed JVM's leftovers.
 */
public final class ProcessOwner {
    private ProcessOwner() { }

    /**
     * @param pid a process id on this host
     * @return whether a process with that id is alive (ids are reused, so a live one may be another process)
     */
    public static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * A label that names a process unambiguously, even across pid reuse and hosts sharing a Docker daemon.
     *
     * @param process the process
     * @return {@code host/pid/start-epoch-millis}
     */
    public static String label(ProcessHandle process) {
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return hostName() + "/" + process.pid() + "/" + started;
    }

    /**
     * Whether the owner a {@link #label(ProcessHandle)} names is gone. Labels of another host are
     * never gone (their owner may be alive there), nor are missing or malformed ones.
     *
     * @param label the owner's label, or null
     * @return true when the label names a process of this host that no longer runs (or whose pid
     *     now belongs to a process started at another time)
     */
    public static boolean isGone(String label) {
        if (label == null) {
            return false;
        }
        String[] parts = label.split("/");
        if (parts.length != 3 || !parts[0].equals(hostName())) {
            return false;
        }
        try {
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(parts[1]));
            return process.isEmpty() || !label(process.get()).equals(label);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** @return this host's name, as the kernel knows it */
    public static String hostName() {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname")), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown");
        }
    }
}
