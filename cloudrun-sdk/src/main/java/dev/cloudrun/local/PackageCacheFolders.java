package dev.cloudrun.local;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.internal.FolderSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Package caches as host folders, one per cache key, below a folder of this user's. Installers
 * write into them from inside the sandbox; the host only bind-mounts them, adds up their sizes
 * without following links, and deletes them without following links.
 */
final class PackageCacheFolders {
    private final Path root;
    private final int ownerUid;

    PackageCacheFolders(Path root, int ownerUid) {
        this.root = root;
        this.ownerUid = ownerUid;
    }

    /** @return the cache's folder, created (owned by the sandbox uid) when missing */
    synchronized Path folder(String cacheKey) {
        LocalSandboxBackend.requireOwnFolder(root);
        Path folder = root.resolve(name(cacheKey));
        try {
            if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                if (ownerUid >= 0) {
                    Files.setAttribute(folder, "unix:uid", ownerUid, LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(folder, "unix:gid", ownerUid, LinkOption.NOFOLLOW_LINKS);
                }
            }
        } catch (IOException e) {
            throw new CloudRunException("cannot create the package cache folder " + folder + ": " + e, e);
        }
        return folder;
    }

    long sizeBytes(String cacheKey) {
        Path folder = root.resolve(name(cacheKey));
        try {
            return FolderSize.bytes(folder);
        } catch (IOException e) {
            throw new CloudRunException("cannot measure the package cache " + folder + ": " + e, e);
        }
    }

    void clear(String cacheKey) {
        try {
            SafeDelete.tree(root.resolve(name(cacheKey)));
        } catch (IOException e) {
            throw new CloudRunException("cannot clear the package cache for " + cacheKey + ": " + e, e);
        }
    }

    /** @return the folders of run-private caches (they should be gone once their run ends) */
    List<Path> runPrivateFolders() {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(root, "run-*")) {
            stream.forEach(found::add);
        } catch (IOException e) {
            // No cache folder yet.
        }
        return found;
    }

    /** A readable prefix of the key plus a hash, so distinct keys never share a folder. */
    private static String name(String cacheKey) {
        String readable = cacheKey.replaceAll("[^A-Za-z0-9._-]", "-");
        if (readable.length() > 60) {
            readable = readable.substring(0, 60);
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(cacheKey.getBytes(StandardCharsets.UTF_8));
            return readable + "-" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
