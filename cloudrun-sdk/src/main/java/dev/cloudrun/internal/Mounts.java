package dev.cloudrun.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Mounting and unmounting per-run workspace tmpfs (root only). A fresh tmpfs caps what a run can
 * write, and unmounting it removes everything the run wrote without the host ever walking a folder
 * that user code touched.
 */
public final class Mounts {
    private Mounts() { }

    /**
     * Mounts a fresh tmpfs.
     *
     * @param target an empty folder
     * @param sizeBytes its size
     * @param uid the owner of its root
     * @param gid the group of its root
     * @param mode the mode of its root, such as {@code 0700}
     * @throws IOException if {@code mount} fails
     */
    public static void mountTmpfs(Path target, long sizeBytes, int uid, int gid, String mode) throws IOException {
        run(List.of("mount", "-t", "tmpfs", "-o",
                "size=" + sizeBytes + ",mode=" + mode + ",uid=" + uid + ",gid=" + gid + ",nosuid,nodev",
                "cloudrun-work", target.toString()));
    }

    /**
     * Unmounts, lazily if the mount is busy.
     *
     * @param target the mount point
     */
    public static void unmount(Path target) {
        try {
            run(List.of("umount", target.toString()));
        } catch (IOException e) {
            try {
                run(List.of("umount", "-l", target.toString()));
            } catch (IOException ignored) {
                // Reported by the leak check.
            }
        }
    }

    /**
     * @param dir a folder
     * @return the mount points at or below {@code dir}, deepest first
     */
    public static List<Path> under(Path dir) {
        List<Path> found = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path mountPoint = Path.of(fields[4].replace("\\040", " "));
                    if (mountPoint.startsWith(dir)) {
                        found.add(0, mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            // No mount table: nothing mounted that we can see.
        }
        return found;
    }

    private static void run(List<String> command) throws IOException {
        try {
            HostCommand.Result result = HostCommand.run(command, Duration.ofSeconds(30));
            if (result.exitCode() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + result.output().strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
