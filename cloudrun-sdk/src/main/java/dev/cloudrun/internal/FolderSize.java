package dev.cloudrun.internal;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Adds up the sizes of the files below a folder that sandboxed installers wrote to. Reads
 * metadata only and never follows a link (the walk does not follow links by default).
 */
public final class FolderSize {
    private FolderSize() { }

    /**
     * @param folder the folder
     * @return the total size of the files below it in bytes; 0 when it is missing or not a folder
     * @throws IOException if the walk fails
     */
    public static long bytes(Path folder) throws IOException {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        AtomicLong total = new AtomicLong();
        Files.walkFileTree(folder, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                total.addAndGet(attributes.size());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException error) {
                return FileVisitResult.CONTINUE;
            }
        });
        return total.get();
    }
}
