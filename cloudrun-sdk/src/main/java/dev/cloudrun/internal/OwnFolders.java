package dev.cloudrun.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The check a backend makes before it creates anything in a folder of the host: in a shared
 * {@code /tmp} (or a folder someone else can write) another user could have made it, or a link to
 * elsewhere, first.
 */
public final class OwnFolders {
    private OwnFolders() { }

    /**
     * Creates a folder (and its parents) when missing, then checks that it is a real folder, not a
     * link, owned by a user; if so, makes it {@code rwx--x--x}.
     *
     * @param folder the folder
     * @param ownerUid the uid that must own it
     * @return whether it is such a folder; when false, nothing was changed
     * @throws IOException if it cannot be created or inspected
     */
    public static boolean ensure(Path folder, int ownerUid) throws IOException {
        Files.createDirectories(folder);
        PosixFileAttributes attributes = Files.readAttributes(folder, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Object owner = Files.getAttribute(folder, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory() || !Integer.valueOf(ownerUid).equals(owner)) {
            return false;
        }
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx--x--x"));
        return true;
    }
}
