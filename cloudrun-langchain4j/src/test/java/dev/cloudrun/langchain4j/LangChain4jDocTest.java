package dev.cloudrun.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** docs/langchain4j.md shows the example exactly as {@link AgentExample} compiles it, and the settings as coded. */
class LangChain4jDocTest {
    private static final Path DOC = Path.of("../docs/langchain4j.md");

    @Test
    void docShowsTheExampleAsCompiled() throws IOException {
        String example = Files.readString(Path.of("src/test/java/dev/cloudrun/langchain4j/AgentExample.java"));
        String snippet = example.substring(example.indexOf("// docs:start\n") + "// docs:start\n".length(),
                example.indexOf("    // docs:end"));
        String unindented = snippet.lines().map(line -> line.length() >= 4 ? line.substring(4) : line.strip())
                .collect(Collectors.joining("\n"));

        assertThat(codeBlocks(Files.readString(DOC))).anySatisfy(block -> assertThat(block).isEqualTo(unindented));
    }

    @Test
    void docStatesTheCodedCaps() throws IOException {
        String doc = Files.readString(DOC);
        assertThat(doc).contains("at most " + String.format(java.util.Locale.ROOT, "%,d", CloudRunTools.MAX_CODE_CHARS) + " characters of code")
                .contains(String.format(java.util.Locale.ROOT, "%,d", CloudRunTools.MAX_STDIN_CHARS) + " of stdin")
                .contains("first " + String.format(java.util.Locale.ROOT, "%,d", OutputCaps.DEFAULT.stdoutChars()) + " characters of stdout")
                .contains("last " + String.format(java.util.Locale.ROOT, "%,d", OutputCaps.DEFAULT.stderrChars()) + " characters of stderr")
                .contains("language `" + CloudRunCodeExecutionEngine.DEFAULT_LANGUAGE + "`");
    }

    private static java.util.List<String> codeBlocks(String markdown) {
        Matcher matcher = Pattern.compile("```java\n(.*?)\n```", Pattern.DOTALL).matcher(markdown);
        java.util.List<String> blocks = new java.util.ArrayList<>();
        while (matcher.find()) {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }
}
