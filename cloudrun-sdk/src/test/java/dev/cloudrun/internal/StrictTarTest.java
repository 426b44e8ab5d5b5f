package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host trusts a sandbox's tar stream only as bytes: regular files, safe paths, within the caps. */
class StrictTarTest {
    @TempDir
    Path folder;

    /** A tar that GNU tar itself writes, as the collect step does. */
    private byte[] tarOf(String... paths) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("tar", "-c", "-f", "-", "--"));
        command.addAll(List.of(paths));
        Process process = new ProcessBuilder(command).directory(folder.toFile()).start();
        byte[] bytes = process.getInputStream().readAllBytes();
        process.waitFor();
        return bytes;
    }

    /** A hand-made ustar entry, to write what GNU tar never would. */
    private static byte[] entry(String name, char type, byte[] content) {
        byte[] header = new byte[512];
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(nameBytes, 0, header, 0, nameBytes.length);
        put(header, 100, String.format("%07o", 0644));
        put(header, 108, "0000000");
        put(header, 116, "0000000");
        put(header, 124, String.format("%011o", content.length));
        put(header, 136, "00000000000");
        header[156] = (byte) type;
        put(header, 257, "ustar");
        put(header, 263, "00");
        for (int i = 148; i < 156; i++) {
            header[i] = ' ';
        }
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format("%06o", sum));
        header[154] = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header);
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512]);
        return out.toByteArray();
    }

    private static void put(byte[] header, int offset, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    @Test
    void keepsWantedRegularFilesWithTheirExecuteBit() throws Exception {
        Files.writeString(folder.resolve("main"), "binary");
        folder.resolve("main").toFile().setExecutable(true);
        Files.createDirectories(folder.resolve("pkg"));
        Files.writeString(folder.resolve("pkg/A.class"), "class");
        Files.writeString(folder.resolve("main.c"), "source");

        CollectedFiles files = StrictTar.read(tarOf("."), StrictTar.globs(List.of("main", "**.class")), 1 << 20);

        assertThat(files.problem()).isNull();
        assertThat(files.files()).containsOnlyKeys("main", "pkg/A.class");
        assertThat(files.executables()).containsExactly("main");
    }

    @Test
    void refusesLinksInsteadOfFollowingThem() throws Exception {
        Files.createSymbolicLink(folder.resolve("output.txt"), Path.of("/etc/passwd"));
        Files.writeString(folder.resolve("real"), "x");
        Files.createLink(folder.resolve("hard"), folder.resolve("real"));

        CollectedFiles files = StrictTar.read(tarOf("output.txt", "real", "hard"),
                List.of("output.txt", "hard")::contains, 1 << 20);

        assertThat(files.files()).isEmpty();
        assertThat(files.rejected()).containsEntry("output.txt", "is a symbolic link, not a regular file")
                .containsEntry("hard", "is a hard link, not a regular file");
    }

    @Test
    void readsGnuLongNames() throws Exception {
        String longName = "Main$" + "Inner".repeat(30) + ".class";
        Files.writeString(folder.resolve(longName), "class");

        CollectedFiles files = StrictTar.read(tarOf("."), StrictTar.globs(List.of("**.class")), 1 << 20);

        assertThat(files.problem()).isNull();
        assertThat(files.files()).containsOnlyKeys(longName);
    }

    @Test
    void aLongUnsafeNameIsStillRefused() {
        byte[] longName = ("../" + "x".repeat(120)).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        archive.writeBytes(entry("././@LongLink", 'L', longName));
        archive.writeBytes(entry("truncated", '0', "x".getBytes()));

        assertThat(StrictTar.read(archive.toByteArray(), path -> true, 100).problem()).contains("bad size or path");
    }

    @Test
    void refusesUnsafePathsAndOversizedFiles() {
        byte[] dotDot = entry("../escape", '0', "x".getBytes());
        byte[] absolute = entry("/etc/cron.d/x", '0', "x".getBytes());
        assertThat(StrictTar.read(dotDot, path -> true, 100).problem()).contains("bad size or path");
        assertThat(StrictTar.read(absolute, path -> true, 100).problem()).contains("bad size or path");
        assertThat(StrictTar.read(entry("big", '0', new byte[2000]), path -> true, 1000).problem())
                .contains("larger than 1000 bytes");
        byte[] corrupt = entry("main", '0', "x".getBytes());
        corrupt[0] = 'n';
        assertThat(StrictTar.read(corrupt, path -> true, 100).problem()).contains("corrupt header");
        assertThat(StrictTar.read(entry("main", '0', "abc".getBytes()), "main"::equals, 100).files().get("main"))
                .containsExactly('a', 'b', 'c');
    }
}
