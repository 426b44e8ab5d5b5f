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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The examples run, and the README shows them exactly as they are compiled here. */
class ExamplesTest {

    @Test
    void readmeShowsTheQuickStartAsCompiled() throws IOException {
        String example = Files.readString(Path.of("src/main/java/dev/cloudrun/examples/QuickStart.java"));
        String snippet = example.substring(example.indexOf("// readme:start\n") + "// readme:start\n".length(),
                example.indexOf("        // readme:end"));
        String unindented = snippet.lines().map(line -> line.length() >= 8 ? line.substring(8) : line.strip())
                .collect(Collectors.joining("\n"));
        String readme = Files.readString(Path.of("../README.md"));

        assertThat(readme).contains(unindented);
    }

    @Test
    void quickStartPrintsTheGreetingAndOk() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(new String[0]);
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(output).startsWith("Hello, Ada!\nOK\n").containsPattern("\\d+ ms, \\d+ KiB peak");
    }

    @Test
    void gradingGivesAVerdictPerCase() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("1 2\n", "3");
        cases.put("5 5\n", "11");
        cases.put("x\n", "0");
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL))) {
            assertThat(GradeSubmission.grade(runner, "python", "a, b = map(int, input().split())\nprint(a + b)", cases))
                    .containsExactly("passed", "wrong answer", "RUNTIME_ERROR: exited with code 1");
        }
    }
}
