package dev.cloudrun.server.grading;

import dev.cloudrun.server.http.ApiError;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * The strict rules for reading a zip a client sent (hostile input), shared by the problem uploads
 * ({@link ProblemZip}) and the compatible APIs' attached files: at most so many entries and bytes
 * unpacked, counted as the bytes come out of the inflater (a zip bomb's declared sizes lie); no
 * absolute names, no {@code ..}, no backslashes or NUL, no links or special files (by the Unix mode
 * in the central directory), no name twice, no zip64.
 */
public final class StrictZip {

    /** A zip the rules refuse; the message completes "the zip ...". */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String problem) {
            super(problem, null, false, false);
        }
    }

    private StrictZip() { }

    /**
     * Unpacks a zip into memory, folders implied by the files' paths.
     *
     * @param zip the zip's bytes
     * @param maxEntries the most entries allowed
     * @param maxUnpackedBytes the most bytes all files may unpack to
     * @return each regular file's path in the zip and content, in the zip's order
     * @throws Refused when a rule is broken
     */
    public static Map<String, byte[]> readAll(byte[] zip, int maxEntries, long maxUnpackedBytes) {
        checkCentralDirectory(zip, maxEntries);
        Map<String, byte[]> files = new LinkedHashMap<>();
        long unpacked = 0;
        int count = 0;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), StandardCharsets.UTF_8)) {
            byte[] chunk = new byte[64 * 1024];
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (++count > maxEntries) {
                    throw new Refused("has more than " + maxEntries + " entries");
                }
                String name = entry.getName();
                checkName(name);
                if (entry.isDirectory()) {
                    continue;
                }
                if (files.containsKey(name)) {
                    throw new Refused("holds " + ApiError.shown(name) + " twice");
                }
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                for (int read = in.read(chunk); read >= 0; read = in.read(chunk)) {
                    unpacked += read;
                    if (unpacked > maxUnpackedBytes) {
                        throw new Refused("unpacks to more than " + maxUnpackedBytes / 1024 + " KiB");
                    }
                    content.write(chunk, 0, read);
                }
                files.put(name, content.toByteArray());
            }
        } catch (ZipException e) {
            throw new Refused("is not a valid zip file: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a zip held in memory", e);
        }
        if (count == 0) {
            throw new Refused("is empty");
        }
        return files;
    }

    /**
     * Reads the central directory: the entry count, the names, and links by their Unix mode.
     *
     * @param zip the zip's bytes
     * @param maxEntries the most entries allowed
     * @throws Refused when a rule is broken
     */
    public static void checkCentralDirectory(byte[] zip, int maxEntries) {
        ByteBuffer buffer = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int end = -1;
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
            if (buffer.getInt(i) == 0x06054b50) {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new Refused("is not a zip file (no end of central directory)");
        }
        int entries = Short.toUnsignedInt(buffer.getShort(end + 10));
        long offset = Integer.toUnsignedLong(buffer.getInt(end + 16));
        if (entries == 0xFFFF || offset == 0xFFFFFFFFL) {
            throw new Refused("is a zip64 file or has more than " + maxEntries + " entries");
        }
        if (entries > maxEntries) {
            throw new Refused("has " + entries + " entries; at most " + maxEntries + " are allowed");
        }
        int position = (int) Math.min(offset, Integer.MAX_VALUE);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < entries; i++) {
            if (position < 0 || position + 46 > zip.length || buffer.getInt(position) != 0x02014b50) {
                throw new Refused("has a broken central directory");
            }
            int madeBy = Short.toUnsignedInt(buffer.getShort(position + 4)) >> 8;
            int nameLength = Short.toUnsignedInt(buffer.getShort(position + 28));
            int extraLength = Short.toUnsignedInt(buffer.getShort(position + 30));
            int commentLength = Short.toUnsignedInt(buffer.getShort(position + 32));
            long attributes = Integer.toUnsignedLong(buffer.getInt(position + 38));
            if (position + 46 + nameLength > zip.length) {
                throw new Refused("has a broken central directory");
            }
            String name = new String(zip, position + 46, nameLength, StandardCharsets.UTF_8);
            checkName(name);
            if (!names.add(name)) {
                throw new Refused("holds " + ApiError.shown(name) + " twice");
            }
            int unixType = (int) ((attributes >> 16) & 0170000);
            if (madeBy == 3 && unixType != 0 && unixType != 0100000 && unixType != 0040000) {
                throw new Refused("holds " + ApiError.shown(name)
                        + ", which is a link or a special file (only files and folders are allowed)");
            }
            position += 46 + nameLength + extraLength + commentLength;
        }
    }

    /**
     * @param name an entry's name
     * @throws Refused for an absolute name, a backslash, NUL or {@code ..}
     */
    public static void checkName(String name) {
        if (name.isEmpty() || name.startsWith("/") || name.contains("\\") || name.indexOf('\0') >= 0
                || name.matches("^[A-Za-z]:.*")) {
            throw new Refused("holds the name " + ApiError.shown(name) + " (absolute names, backslashes and NUL are refused)");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw new Refused("holds the name " + ApiError.shown(name) + " (.. is refused)");
            }
        }
    }
}
