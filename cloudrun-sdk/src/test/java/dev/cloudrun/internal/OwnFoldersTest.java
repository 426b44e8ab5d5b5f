package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OwnFoldersTest {
    @TempDir
    Path temp;

    private static int ownUid(Path anyOwnFile) throws Exception {
        return (Integer) Files.getAttribute(anyOwnFile, "unix:uid");
    }

    @Test
    void createsAMissingFolderWithMode0711() throws Exception {
        Path folder = temp.resolve("a/b");

        assertThat(OwnFolders.ensure(folder, ownUid(temp))).isTrue();
        assertThat(Files.getPosixFilePermissions(folder)).isEqualTo(PosixFilePermissions.fromString("rwx--x--x"));
    }

    @Test
    void refusesAFolderOfAnotherUserALinkOrAFile() throws Exception {
        int uid = ownUid(temp);
        Path link = Files.createSymbolicLink(temp.resolve("link"), temp);
        Path file = Files.createFile(temp.resolve("file"));

        assertThat(OwnFolders.ensure(temp, uid + 1)).isFalse();
        assertThat(OwnFolders.ensure(link, uid)).isFalse();
        assertThatThrownBy(() -> OwnFolders.ensure(file, uid)).isInstanceOf(FileAlreadyExistsException.class);
    }
}
