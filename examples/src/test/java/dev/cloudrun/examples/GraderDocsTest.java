package dev.cloudrun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** docs/grader.md shows the grading example exactly as it is compiled here. */
class GraderDocsTest {
    @Test
    void graderDocsShowTheExampleAsCompiled() throws IOException {
        String example = Files.readString(Path.of("src/main/java/dev/cloudrun/examples/GradeSubmission.java"));
        String snippet = example.substring(example.indexOf("// docs:start\n") + "// docs:start\n".length(),
                example.indexOf("        // docs:end"));
        String unindented = snippet.lines().map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));

        assertThat(Files.readString(Path.of("../docs/grader.md"))).contains(unindented);
    }
}
