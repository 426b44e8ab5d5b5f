package dev.cloudrun.server.grading;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.TestSuite;
import dev.cloudrun.server.http.ApiError;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * A problem uploaded as a zip, in any folder layout {@link TestSuite#load} knows ({@code 1.in}/{@code 1.out},
 * Polygon's {@code tests/01}/{@code 01.a}, CMS's {@code input0.txt}/{@code output0.txt}, with an optional
 * {@code suite.json}). A zip is hostile input, so it is read strictly ({@link StrictZip}'s rules):
 * <ul>
 *   <li>at most {@value #MAX_ENTRIES} entries and {@value #MAX_UNPACKED_BYTES} bytes unpacked, counted as
 *       the bytes come out of the inflater (a zip bomb's declared sizes lie);</li>
 *   <li>no absolute names, no {@code ..}, no backslashes or NUL, no links (a Unix mode of a link
 *       in the central directory), no name twice, no zip64;</li>
 *   <li>it unpacks into a fresh folder of the server's own (0700) that nothing else writes, regular files
 *       and folders only, and the folder is deleted when the suite is read.</li>
 * </ul>
 */
final class ProblemZip {
    static final int MAX_ENTRIES = 10_000;
    static final long MAX_UNPACKED_BYTES = 256L * 1024 * 1024;
    private static final String FIELD = "zip";

    private ProblemZip() { }

    /**
     * Reads a zipped suite.
     *
     * @param zip the zip's bytes
     * @param scratch a folder of the server's for the unpacked files
     * @return the validated suite
     * @throws ApiError 400 naming the field
     */
    static TestSuite read(byte[] zip, Path scratch) {
        checkCentralDirectory(zip);
        Path folder;
        try {
            Files.createDirectories(scratch);
            folder = Files.createTempDirectory(scratch, "problem-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a scratch folder in " + scratch, e);
        }
        try {
            unpack(zip, folder);
            return TestSuite.load(folder);
        } catch (InvalidRequestException e) {
            String field = e.field();
            // The SDK names files by their path in the folder: that is their path in the zip too.
            throw ApiError.badField("invalid_suite", field.startsWith(folder.toString()) ? FIELD : field,
                    SuiteDocument.problem(e).replace(folder.toString() + "/", "").replace(folder.toString(), "the zip"));
        } finally {
            deleteTree(folder);
        }
    }

    private static void checkCentralDirectory(byte[] zip) {
        try {
            StrictZip.checkCentralDirectory(zip, MAX_ENTRIES);
        } catch (StrictZip.Refused e) {
            throw refuse(e.getMessage());
        }
    }

    private static void checkName(String name) {
        try {
            StrictZip.checkName(name);
        } catch (StrictZip.Refused e) {
            throw refuse(e.getMessage());
        }
    }

    private static void unpack(byte[] zip, Path folder) {
        long unpacked = 0;
        int count = 0;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), StandardCharsets.UTF_8)) {
            byte[] chunk = new byte[64 * 1024];
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (++count > MAX_ENTRIES) {
                    throw refuse("has more than " + MAX_ENTRIES + " entries");
                }
                String name = entry.getName();
                checkName(name);
                Path target = folder.resolve(name).normalize();
                if (!target.startsWith(folder)) {
                    throw refuse("holds the name " + ApiError.shown(name) + ", which leaves the zip's folder");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                Files.createDirectories(target.getParent());
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw refuse("holds " + ApiError.shown(name) + " twice");
                }
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    for (int read = in.read(chunk); read >= 0; read = in.read(chunk)) {
                        unpacked += read;
                        if (unpacked > MAX_UNPACKED_BYTES) {
                            throw refuse("unpacks to more than " + MAX_UNPACKED_BYTES / (1024 * 1024) + " MiB");
                        }
                        out.write(chunk, 0, read);
                    }
                }
            }
        } catch (ZipException e) {
            throw refuse("is not a valid zip file: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack a problem zip into " + folder, e);
        }
        if (count == 0) {
            throw refuse("is empty");
        }
    }

    /**
     * Deletes what a killed predecessor left unpacked (only this server uses its data directory).
     *
     * @param scratch the scratch folder
     */
    static void sweep(Path scratch) {
        if (!Files.isDirectory(scratch, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> left = Files.list(scratch)) {
            left.filter(path -> path.getFileName().toString().startsWith("problem-")).forEach(ProblemZip::deleteTree);
        } catch (IOException e) {
            // Tried again at the next start.
        }
    }

    private static ApiError refuse(String problem) {
        return ApiError.badField("invalid_zip", FIELD, "the zip " + problem);
    }

    private static void deleteTree(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // Left for the next start's sweep of the scratch folder.
                }
            });
        } catch (IOException e) {
            // The same.
        }
    }
}
