package dev.cloudrun.docker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process of this host seen through {@code /proc}, told apart from a later process that reuses
 * its pid by its start time (field 22 of {@code /proc/PID/stat}, in clock ticks since boot). The
 * warm pool watches a pre-started container's init this way: asking whether it still runs costs a
 * file read instead of a round trip to the daemon.
 *
 * @param pid the pid on this host
 * @param startTicks when it started
 */
record HostProcess(long pid, long startTicks) {
    /**
     * @param pid a pid on this host
     * @return the process, or empty when there is none (or it is a zombie)
     */
    static Optional<HostProcess> of(long pid) {
        return startTicks(pid).map(ticks -> new HostProcess(pid, ticks));
    }

    /** @return whether the same process still runs (not a zombie) */
    boolean alive() {
        return startTicks(pid).map(ticks -> ticks == startTicks).orElse(false);
    }

    private static Optional<Long> startTicks(long pid) {
        if (pid <= 0) {
            return Optional.empty();
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // The name (field 2) is in parentheses and may hold spaces or parentheses: fields count from the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            if (fields[0].equals("Z") || fields[0].equals("X")) {
                return Optional.empty();
            }
            return Optional.of(Long.parseLong(fields[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
