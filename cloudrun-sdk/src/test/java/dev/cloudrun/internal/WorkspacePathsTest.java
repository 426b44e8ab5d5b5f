package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkspacePathsTest {
    @Test
    void relativePathsAreKept() {
        assertThat(WorkspacePaths.normalize("f", "a/b/c.txt")).isEqualTo("a/b/c.txt");
        assertThat(WorkspacePaths.normalize("f", "./x.py")).isEqualTo("x.py");
        assertThat(WorkspacePaths.normalize("f", "naïve ☃.txt")).isEqualTo("naïve ☃.txt");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/abs", "..", "../x", "a/../../x", "a/..", "a//b", "a/./b", "a/", " ", "a\\b", "nul\u0000", "c:x"})
    void dangerousPathsAreRejectedNamingTheField(String path) {
        assertThatThrownBy(() -> WorkspacePaths.normalize("files[" + path + "]", path))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("files[" + path + "]"));
    }
}
