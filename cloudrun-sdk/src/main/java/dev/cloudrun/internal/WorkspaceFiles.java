package dev.cloudrun.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes a run's files into its workspace folder on this host: the local backend's sandboxes, and
 * the Docker backend's workspaces when they are a tmpfs it mounted on this host (instead of the
 * daemon's archive copy, which re-executes the daemon to extract a tar). Only before the run's first
 * step, when no untrusted code has touched the workspace: every directory and file is created new
 * ({@code CREATE_NEW}, never through a link) and, when an owner is given, owned by the sandbox user;
 * directories {@code 0755}, files {@code 0644}, executables {@code 0755}. Paths were validated by
 * the engine (relative, no {@code ..}).
 */
public final class WorkspaceFiles {
    private WorkspaceFiles() { }

    /**
     * @param work the workspace's host folder
     * @param files the files by relative path
     * @param executables the paths that get {@code 0755}
     * @param uid the sandbox user, or -1 to keep the writer's
     * @param gid the sandbox group (with {@code uid})
     * @throws IOException if a file cannot be created (the workspace is full, a name is taken)
     */
    public static void write(Path work, Map<String, byte[]> files, Set<String> executables, int uid, int gid) throws IOException {
        for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
            Path target = work;
            String[] segments = file.getKey().split("/");
            for (int i = 0; i < segments.length - 1; i++) {
                target = target.resolve(segments[i]);
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(target, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwxr-xr-x")));
                    own(target, uid, gid);
                }
            }
            target = target.resolve(segments[segments.length - 1]);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new FileAlreadyExistsException(file.getKey());
            }
            Files.write(target, file.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                    executables.contains(file.getKey()) ? "rwxr-xr-x" : "rw-r--r--"));
            own(target, uid, gid);
        }
    }

    /**
     * @param path a path the caller created, not through a link
     * @param uid the owner, or -1 to leave it
     * @param gid the group
     * @throws IOException if it cannot be changed
     */
    public static void own(Path path, int uid, int gid) throws IOException {
        if (uid < 0) {
            return;
        }
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
}
