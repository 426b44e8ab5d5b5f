package dev.cloudrun.cli;

import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.cli.CloudRunCli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The host folder of {@code cloudrun shell}: its files copied into a workspace and, on request,
 * the workspace's files copied back. Symbolic links in the folder are never followed (skipped with
 * a note on the way in, never written through on the way back), and every file is written back as
 * a temporary file in its own folder renamed over the old one.
 */
final class ShellFolder {
    private static final Set<PosixFilePermission> NEW_FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;
    private final PrintStream notes;
    private final Map<String, byte[]> copiedIn = new LinkedHashMap<>();

    /**
     * @param root the folder
     * @param notes where skipped files are told about
     */
    ShellFolder(Path root, PrintStream notes) {
        this.root = root.toAbsolutePath().normalize();
        this.notes = notes;
    }

    /**
     * Reads the folder's regular files, skipping symbolic links and special files with a note.
     *
     * @param capBytes the workspace's disk cap
     * @return the files by relative {@code /}-separated path
     * @throws UsageException if the folder is missing, a file cannot be read, or the files pass the cap
     */
    Map<String, byte[]> read(long capBytes) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            throw new UsageException("DIR " + root + " is not a folder");
        }
        long[] total = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    String relative = relative(file);
                    if (attributes.isSymbolicLink()) {
                        notes.println("cloudrun: skipping symbolic link " + relative + " (links are not followed)");
                        return FileVisitResult.CONTINUE;
                    }
                    if (!attributes.isRegularFile()) {
                        notes.println("cloudrun: skipping " + relative + " (not a regular file)");
                        return FileVisitResult.CONTINUE;
                    }
                    total[0] += attributes.size();
                    if (total[0] > capBytes) {
                        throw new UsageException("DIR " + root + " holds more than the workspace's disk cap of "
                                + capBytes + " bytes; pick a smaller folder");
                    }
                    try {
                        copiedIn.put(relative, Files.readAllBytes(file));
                    } catch (IOException e) {
                        throw new UsageException("cannot read " + file + ": " + e.getMessage());
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    throw new UsageException("cannot read " + file + ": " + e.getMessage());
                }
            });
        } catch (IOException e) {
            throw new UsageException("cannot read DIR " + root + ": " + e.getMessage());
        }
        return copiedIn;
    }

    /**
     * Copies the workspace's files back: new and changed ones written, those copied in and no longer
     * in the workspace deleted from the folder. A path that would go through a symbolic link or
     * replace a folder is skipped with a note.
     *
     * @param workspace the workspace, still open
     * @return how many files were written or deleted
     * @throws IOException if the folder cannot be written
     */
    int writeBack(Workspace workspace) throws IOException {
        int changed = 0;
        Set<String> present = new HashSet<>();
        for (WorkspaceEntry entry : workspace.list()) {
            present.add(entry.path());
            if (entry.directory()) {
                continue;
            }
            byte[] content = workspace.read(entry.path());
            if (Arrays.equals(content, copiedIn.get(entry.path()))) {
                continue;
            }
            Path target = hostPath(entry.path());
            if (target == null) {
                continue;
            }
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                notes.println("cloudrun: not writing back " + entry.path() + ": a folder of that name is in the way");
                continue;
            }
            Files.createDirectories(target.getParent());
            Path temporary = Files.createTempFile(target.getParent(), ".cloudrun-", ".tmp");
            try {
                Files.write(temporary, content);
                // A changed file keeps its mode (a script its x bit); a new one gets the usual rw-r--r--
                // rather than the temporary file's rw-------.
                Files.setPosixFilePermissions(temporary, Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
                        ? Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS) : NEW_FILE_MODE);
                // rename() replaces a link at the target itself and never writes through it.
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temporary);
            }
            changed++;
        }
        for (String path : copiedIn.keySet()) {
            if (present.contains(path)) {
                continue;
            }
            Path target = hostPath(path);
            if (target != null && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target);
                changed++;
            }
        }
        return changed;
    }

    /** @return the host path of a workspace path, or null (with a note) if a folder on the way is a link */
    private Path hostPath(String path) {
        Path target = root.resolve(path).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            notes.println("cloudrun: not writing back " + path + ": outside DIR");
            return null;
        }
        for (Path folder = target.getParent(); !folder.equals(root); folder = folder.getParent()) {
            if (Files.isSymbolicLink(folder) || Files.exists(folder, LinkOption.NOFOLLOW_LINKS)
                    && !Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                notes.println("cloudrun: not writing back " + path + ": " + relative(folder)
                        + " in DIR is a symbolic link or a file");
                return null;
            }
        }
        return target;
    }

    private String relative(Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }
}
