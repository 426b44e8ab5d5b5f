package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A workspace tmpfs mounted for real, with and without a FIFO made by the same host command. Needs
 * root, as the local backend's tmpfs does (these machines run the tests as root); it fails rather
 * than being skipped elsewhere.
 */
class MountsTest {
    @TempDir
    Path folder;

    @AfterEach
    void unmountWhatIsLeft() {
        Mounts.under(folder).forEach(Mounts::unmount);
        assertThat(Mounts.under(folder)).isEmpty();
    }

    @Test
    void aTmpfsWithAFifoHasItsSizeOwnerModeAndTheFifo() throws Exception {
        Path work = Files.createDirectory(folder.resolve("work"));

        Mounts.mountTmpfsWithFifo(work, 1024 * 1024, 1234, 1235, "0700", "main.py", "0644");

        assertThat(Mounts.under(folder)).containsExactly(work);
        assertThat(mountOptions(work)).contains("size=1024k", "mode=700", "uid=1234", "gid=1235");
        PosixFileAttributes root = Files.readAttributes(work, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(root.owner().getName()).isIn("1234", userName(1234));
        Path fifo = work.resolve("main.py");
        PosixFileAttributes attributes = Files.readAttributes(fifo, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(attributes.isOther()).as("a FIFO is neither a file, a folder nor a link").isTrue();
        assertThat(new String(Files.readAllBytes(Path.of("/proc/self/mountinfo"))).lines()
                .filter(line -> line.contains(" " + work + " ")).findFirst().orElseThrow()).contains("nosuid", "nodev");
        assertThat(PosixFilePermissions.toString(attributes.permissions())).isEqualTo("rw-r--r--");
        assertThat(attributes.owner().getName()).isEqualTo("root");
        try (var listing = Files.list(work)) {
            assertThat(listing.toList()).containsExactly(fifo);
        }
    }

    @Test
    void theSizeIsEnforced() throws Exception {
        Path work = Files.createDirectory(folder.resolve("work"));
        Mounts.mountTmpfsWithFifo(work, 256 * 1024, 0, 0, "0700", "main.py", "0644");

        assertThatThrownBy(() -> Files.write(work.resolve("big"), new byte[512 * 1024])).isInstanceOf(IOException.class);
    }

    @Test
    void aFifoNameWithAPathIsRefusedNamingTheField() throws Exception {
        Path work = Files.createDirectory(folder.resolve("work"));

        for (String name : List.of("../escape", "a/b", "..", "")) {
            assertThatThrownBy(() -> Mounts.mountTmpfsWithFifo(work, 1024 * 1024, 0, 0, "0700", name, "0644"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fifoName");
        }
        assertThat(Mounts.under(folder)).isEmpty();
    }

    @Test
    void aFailedMkfifoLeavesTheTmpfsForTheCallerToUnmountAndSaysSo() throws Exception {
        Path work = Files.createDirectory(folder.resolve("work"));

        // An invalid mode: mount succeeds, mkfifo refuses.
        assertThatThrownBy(() -> Mounts.mountTmpfsWithFifo(work, 1024 * 1024, 0, 0, "0700", "main.py", "99"))
                .isInstanceOf(IOException.class).hasMessageContaining("mkfifo");
        assertThat(Mounts.under(folder)).containsExactly(work);
    }

    private static String mountOptions(Path target) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().filter(line -> line.contains(" " + target + " "))
                .findFirst().orElseThrow();
    }

    private static String userName(int uid) {
        try {
            return Files.readAllLines(Path.of("/etc/passwd")).stream().map(line -> line.split(":"))
                    .filter(fields -> fields.length > 2 && fields[2].equals(Integer.toString(uid))).map(fields -> fields[0])
                    .findFirst().orElse(Integer.toString(uid));
        } catch (IOException e) {
            return Integer.toString(uid);
        }
    }
}
