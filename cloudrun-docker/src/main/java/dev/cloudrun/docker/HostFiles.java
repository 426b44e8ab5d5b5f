package dev.cloudrun.docker;

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
 * Writes a run's files straight into its workspace when the workspace is a tmpfs the backend mounted
 * on this host ({@link HostWorkspaces}): what {@link WorkspaceTar} and the daemon's archive copy do
 * otherwise, without the daemon (which re-executes itself to extract a tar: tens of milliseconds).
 * Only before the run's first step, when no untrusted code has touched the workspace: every
 * directory and file is created new ({@code CREATE_NEW}, never through a link) and owned by the
 * sandbox user; directories {@code 0755}, files {@code 0644}, executables {@code 0755}. Paths were
 * validated by the engine (relative, no {@code ..}).
 */
final class HostFiles {
    private HostFiles() { }

    /**
     * @param work the workspace's host folder
     * @param files the files by relative path
     * @param executables the paths that get {@code 0755}
     * @param uid the sandbox user
     * @param gid the sandbox group
     * @throws IOException if a file cannot be created (the workspace is full, a name is taken)
     */
    static void write(Path work, Map<String, byte[]> files, Set<String> executables, int uid, int gid) throws IOException {
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

    static void own(Path path, int uid, int gid) throws IOException {
        Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
}
