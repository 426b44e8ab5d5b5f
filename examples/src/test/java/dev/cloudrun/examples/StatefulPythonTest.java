package dev.cloudrun.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The stateful Python example runs as its comments say, and the README shows it as compiled here. */
class StatefulPythonTest {

    @Test
    void readmeShowsTheExampleAsCompiled() throws IOException {
        String example = Files.readString(Path.of("src/main/java/dev/cloudrun/examples/StatefulPython.java"));
        String snippet = example.substring(example.indexOf("// readme:start\n") + "// readme:start\n".length(),
                example.indexOf("        // readme:end"));
        String unindented = snippet.lines().map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        assertThat(Files.readString(Path.of("../README.md"))).contains(unindented);
    }

    @Test
    void theExamplePrintsWhatItsCommentsSay() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL))) {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            StatefulPython.run(runner);
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8))
                .isEqualTo("5.333333333333333\nRUNTIME_ERROR IndexError\nTIME_LIMIT true\ntrue False\n");
    }
}
