package dev.cloudrun.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Packs a run's files into a tar the daemon extracts into the workspace volume: every entry owned by
 * the sandbox user, directories {@code 0755}, files {@code 0644}, no links. Paths were validated by
 * the engine (relative, no {@code ..}). Files named executable (compiled artefacts) get {@code 0755}.
 */
final class WorkspaceTar {
    private WorkspaceTar() { }

    static byte[] pack(Map<String, byte[]> files, int uid, int gid) {
        return pack(files, java.util.Set.of(), uid, gid);
    }

    static byte[] pack(Map<String, byte[]> files, java.util.Set<String> executables, int uid, int gid) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TreeSet<String> directories = new TreeSet<>();
            for (String path : files.keySet()) {
                for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                    directories.add(path.substring(0, slash));
                }
            }
            for (String directory : directories) {
                TarArchiveEntry entry = new TarArchiveEntry(directory + "/", TarArchiveEntry.LF_DIR);
                entry.setMode(040755);
                own(entry, uid, gid);
                tar.putArchiveEntry(entry);
                tar.closeArchiveEntry();
            }
            for (Map.Entry<String, byte[]> file : new TreeMap<>(files).entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), TarArchiveEntry.LF_NORMAL);
                entry.setMode(executables.contains(file.getKey()) ? 0100755 : 0100644);
                entry.setSize(file.getValue().length);
                own(entry, uid, gid);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void own(TarArchiveEntry entry, int uid, int gid) {
        entry.setUserId(uid);
        entry.setGroupId(gid);
        entry.setUserName("runner");
        entry.setGroupName("runner");
    }
}
