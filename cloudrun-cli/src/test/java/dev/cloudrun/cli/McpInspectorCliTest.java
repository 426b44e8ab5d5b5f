package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code cloudrun mcp} driven by the MCP Inspector's CLI ({@code @modelcontextprotocol/inspector-cli},
 * unmodified, installed by Maven with {@code npm ci} from {@code src/test/inspector}) over stdio:
 * a client written by others, in another language, lists and calls the tools.
 */
class McpInspectorCliTest {
    private static final Path INSPECTOR = Path.of("src/test/inspector/node_modules/@modelcontextprotocol/inspector-cli/build");

    @Test
    void listsTheTools() throws Exception {
        JsonNode answer = inspector("--method", "tools/list");
        List<String> names = new ArrayList<>();
        answer.path("tools").forEach(tool -> names.add(tool.path("name").asText()));
        assertThat(names).contains("run_code", "list_languages", "create_session", "run_in_session", "close_session");
    }

    @Test
    void callsRunCode() throws Exception {
        JsonNode answer = inspector("--method", "tools/call", "--tool-name", "run_code",
                "--tool-arg", "language=python", "source=print(6 * 7)");
        assertThat(answer.path("isError").asBoolean()).isFalse();
        assertThat(answer.path("structuredContent").path("status").asText()).isEqualTo("OK");
        assertThat(answer.path("structuredContent").path("stdout").asText()).isEqualTo("42\n");
    }

    @Test
    void anUnknownLanguageComesBackAsAToolError() throws Exception {
        JsonNode answer = inspector("--method", "tools/call", "--tool-name", "run_code",
                "--tool-arg", "language=fortran77", "source=x");
        assertThat(answer.path("isError").asBoolean()).isTrue();
        assertThat(answer.path("content").get(0).path("text").asText()).contains("unknown language 'fortran77'");
    }

    @Test
    void readsTheLanguagesResource() throws Exception {
        JsonNode answer = inspector("--method", "resources/read", "--uri", "cloudrun://languages");
        assertThat(answer.path("contents").get(0).path("text").asText()).contains("\"id\":\"python\"");
    }

    /** Runs the inspector's CLI against {@code cloudrun mcp --backend local} and parses what it prints. */
    private static JsonNode inspector(String... method) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", "index.js", McpTestServer.javaExecutable(), "-cp",
                absoluteClassPath(), "dev.cloudrun.cli.CloudRunCli", "mcp", "--backend", "local"));
        command.addAll(List.of(method));
        Path stderr = Files.createTempFile("inspector", ".err");
        // inspector-cli 1.0.3 looks for its own package.json as ../package.json from the working directory.
        Process process = new ProcessBuilder(command).directory(INSPECTOR.toFile())
                .redirectError(stderr.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        boolean ended = process.waitFor(120, TimeUnit.SECONDS);
        String errors = Files.readString(stderr);
        Files.delete(stderr);
        assertThat(ended).as("the inspector ended").isTrue();
        assertThat(process.exitValue()).as("the inspector's exit code; its stderr: %s", errors).isZero();
        return McpTestServer.JSON.readTree(new String(out, StandardCharsets.UTF_8));
    }

    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            entries.add(Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }
}
