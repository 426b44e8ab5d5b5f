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
        run(List.of("mount", "-t", "tmpfs", "-o", tmpfsOptions(sizeBytes, uid, gid, mode), "cloudrun-work",
                target.toString()));
    }

    /**
     * Mounts a fresh tmpfs and makes a FIFO at its root, in one host command: a shell that mounts,
     * then replaces itself with {@code mkfifo}. The FIFO belongs to the caller (root); nothing else
     * is in the new file system yet, so nobody can have planted anything at its name.
     *
     * @param target an empty folder
     * @param sizeBytes its size
     * @param uid the owner of its root
     * @param gid the group of its root
     * @param mode the mode of its root, such as {@code 0700}
     * @param fifoName the FIFO's file name (one path element)
     * @param fifoMode the FIFO's mode, such as {@code 0644}
     * @throws IOException if the mount or {@code mkfifo} fails (the tmpfs may be mounted then: unmount it)
     */
    public static void mountTmpfsWithFifo(Path target, long sizeBytes, int uid, int gid, String mode, String fifoName,
                                          String fifoMode) throws IOException {
        if (fifoName.isEmpty() || fifoName.contains("/") || fifoName.equals(".") || fifoName.equals("..")) {
            throw new IllegalArgumentException("fifoName must be one path element, was '" + fifoName + "'");
        }
        run(List.of("/bin/sh", "-c", "mount -t tmpfs -o \"$1\" cloudrun-work \"$2\" && exec mkfifo -m \"$3\" \"$4\"",
                "cloudrun-mount", tmpfsOptions(sizeBytes, uid, gid, mode), target.toString(), fifoMode,
                target.resolve(fifoName).toString()));
    }

    private static String tmpfsOptions(long sizeBytes, int uid, int gid, String mode) {
        return "size=" + sizeBytes + ",mode=" + mode + ",uid=" + uid + ",gid=" + gid + ",nosuid,nodev";
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
