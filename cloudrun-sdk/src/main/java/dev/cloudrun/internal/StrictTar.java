package dev.cloudrun.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads a tar stream that a step inside a sandbox wrote to its stdout, trusting it only as bytes:
 * regular files only (links, devices and FIFOs are refused, never followed; GNU long names are
 * read, PAX headers refused),
 * relative paths without {@code ..}, header checksums verified, a cap on entries and on bytes. The
 * host never opens a path in a folder user code could have touched; it only parses this stream.
 */
public final class StrictTar {
    private static final int BLOCK = 512;
    private static final int MAX_ENTRIES = 10_000;
    private static final int MAX_LONG_NAME = 4096;

    private StrictTar() { }

    /**
     * @param globs path globs ({@code main}, {@code **.class}) of the files to keep
     * @return a filter matching any of them
     */
    public static Predicate<String> globs(List<String> globs) {
        List<PathMatcher> matchers = new ArrayList<>();
        for (String glob : globs) {
            matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + glob));
        }
        return path -> matchers.stream().anyMatch(m -> m.matches(java.nio.file.Path.of(path)));
    }

    /**
     * Parses an archive.
     *
     * @param archive the tar bytes
     * @param wanted which entry paths to keep (others are skipped, whatever their type)
     * @param maxBytes the most the kept files may hold together
     * @return the kept regular files, the wanted names refused and why, or the problem with the archive
     */
    public static CollectedFiles read(byte[] archive, Predicate<String> wanted, long maxBytes) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        Set<String> executables = new HashSet<>();
        Map<String, String> rejected = new LinkedHashMap<>();
        long kept = 0;
        int entries = 0;
        int offset = 0;
        String longName = null;
        while (offset + BLOCK <= archive.length) {
            if (isZeroBlock(archive, offset)) {
                break;
            }
            if (++entries > MAX_ENTRIES) {
                return CollectedFiles.failed("the archive holds more than " + MAX_ENTRIES + " entries");
            }
            if (!checksumMatches(archive, offset)) {
                return CollectedFiles.failed("the archive has a corrupt header at byte " + offset);
            }
            String name = text(archive, offset, 100);
            String prefix = isUstar(archive, offset) ? text(archive, offset + 345, 155) : "";
            long size = octal(archive, offset + 124, 12);
            int mode = (int) octal(archive, offset + 100, 8);
            char type = (char) archive[offset + 156];
            if (type == 'L' || type == 'K') {
                // GNU long name (or long link target) of the next entry: its data, at most 4 KiB.
                if (size <= 0 || size > MAX_LONG_NAME || offset + BLOCK + size > archive.length) {
                    return CollectedFiles.failed("the archive has a bad long-name entry");
                }
                if (type == 'L') {
                    longName = text(archive, offset + BLOCK, (int) size);
                }
                offset += BLOCK + (int) ((size + BLOCK - 1) / BLOCK) * BLOCK;
                continue;
            }
            String path = normalize(longName != null ? longName : prefix.isEmpty() ? name : prefix + "/" + name);
            longName = null;
            if (size < 0 || path == null) {
                return CollectedFiles.failed("the archive has an entry with a bad size or path: " + name);
            }
            long dataBlocks = (size + BLOCK - 1) / BLOCK;
            long next = offset + BLOCK + dataBlocks * BLOCK;
            if (next > archive.length && (type == '0' || type == '\0')) {
                return CollectedFiles.failed("the archive ends inside " + path);
            }
            boolean isRegular = type == '0' || type == '\0';
            boolean isDirectory = type == '5';
            if (!path.isEmpty() && wanted.test(path)) {
                if (isRegular) {
                    kept += size;
                    if (kept > maxBytes) {
                        return CollectedFiles.failed("the files are larger than " + maxBytes + " bytes");
                    }
                    byte[] content = new byte[(int) size];
                    System.arraycopy(archive, offset + BLOCK, content, 0, (int) size);
                    files.put(path, content);
                    if ((mode & 0100) != 0) {
                        executables.add(path);
                    }
                } else if (!isDirectory) {
                    rejected.put(path, describe(type));
                } else {
                    rejected.put(path, "is a folder");
                }
            }
            if (type == 'x' || type == 'g') {
                return CollectedFiles.failed("the archive uses extended (PAX) headers, which are refused");
            }
            offset = (int) Math.min(next, Integer.MAX_VALUE);
        }
        return new CollectedFiles(files, executables, rejected, null);
    }

    private static String describe(char type) {
        return switch (type) {
            case '1' -> "is a hard link, not a regular file";
            case '2' -> "is a symbolic link, not a regular file";
            case '3', '4' -> "is a device, not a regular file";
            case '6' -> "is a FIFO, not a regular file";
            default -> "is not a regular file (tar type " + type + ")";
        };
    }

    /** @return the path without leading {@code ./} or trailing {@code /}, "" for the root, null if unsafe */
    private static String normalize(String raw) {
        String path = raw;
        while (path.startsWith("./")) {
            path = path.substring(2);
        }
        if (path.equals(".")) {
            return "";
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (path.startsWith("/") || path.indexOf('\\') >= 0) {
            return null;
        }
        for (String segment : path.split("/", -1)) {
            if (segment.equals("..") || (segment.isEmpty() && !path.isEmpty()) || segment.equals(".")) {
                return null;
            }
        }
        return path;
    }

    private static boolean isZeroBlock(byte[] archive, int offset) {
        for (int i = offset; i < offset + BLOCK; i++) {
            if (archive[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isUstar(byte[] archive, int offset) {
        return text(archive, offset + 257, 5).equals("ustar");
    }

    private static boolean checksumMatches(byte[] archive, int offset) {
        long expected = octal(archive, offset + 148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (archive[offset + i] & 0xff);
        }
        return expected == sum;
    }

    private static String text(byte[] archive, int offset, int length) {
        int end = offset;
        while (end < offset + length && archive[end] != 0) {
            end++;
        }
        return new String(archive, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** @return the octal number in the field, or -1 if it is not one (base-256 sizes are refused) */
    private static long octal(byte[] archive, int offset, int length) {
        long value = 0;
        boolean any = false;
        for (int i = offset; i < offset + length; i++) {
            byte b = archive[i];
            if (b == 0 || b == ' ') {
                if (any) {
                    break;
                }
                continue;
            }
            if (b < '0' || b > '7') {
                return -1;
            }
            value = value * 8 + (b - '0');
            any = true;
            if (value > Integer.MAX_VALUE) {
                return -1;
            }
        }
        return value;
    }
}
