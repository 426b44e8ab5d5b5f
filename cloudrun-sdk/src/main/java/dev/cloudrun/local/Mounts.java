package dev.cloudrun.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Mounting and unmounting the per-run workspace tmpfs (root only). */
final class Mounts {
    private Mounts() { }

    static void mountTmpfs(Path target, long sizeBytes, int uid) throws IOException {
        run(List.of("mount", "-t", "tmpfs", "-o",
                "size=" + sizeBytes + ",mode=0700,uid=" + uid + ",gid=" + uid + ",nosuid,nodev",
                "cloudrun-work", target.toString()));
    }

    static void unmount(Path target) {
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

    /** @return the mount points at or below {@code dir}, deepest first */
    static List<Path> under(Path dir) {
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
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
