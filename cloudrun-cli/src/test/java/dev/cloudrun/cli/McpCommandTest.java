package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code cloudrun mcp} as a process: only JSON-RPC on stdout, clear usage errors. */
class McpCommandTest {

    @Test
    void stdoutCarriesOnlyJsonRpcAndTheServerEndsWhenStdinCloses() throws Exception {
        Process process = new ProcessBuilder(McpTestServer.javaExecutable(), "-cp", System.getProperty("java.class.path"),
                "dev.cloudrun.cli.CloudRunCli", "mcp", "--backend", "local")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String input = String.join("\n",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\",\"arguments\":"
                        + "{\"language\":\"python\",\"source\":\"import sys\\nprint('out')\\nprint('err', file=sys.stderr)\"},"
                        + "\"_meta\":{\"progressToken\":\"t\"}}}",
                "");
        process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
        // The answer to the run comes before stdin closes; then the server ends by itself.
        java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        List<String> lines = new java.util.ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            lines.add(line);
            if (line.contains("\"id\":2")) {
                break;
            }
        }
        process.getOutputStream().close();
        while ((line = reader.readLine()) != null) {
            lines.add(line);
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the server ended when stdin closed").isTrue();
        assertThat(lines).isNotEmpty();
        for (String each : lines) {
            JsonNode message = McpTestServer.JSON.readTree(each);
            assertThat(message.path("jsonrpc").asText()).as(each).isEqualTo("2.0");
        }
        assertThat(lines).anyMatch(l -> l.contains("notifications/progress"));
        assertThat(lines.get(lines.size() - 1)).contains("\"stdout\":\"out\\n\"", "\"stderr\":\"err\\n\"");
    }

    @Test
    void aClientThatClosesStdinRightAfterItsRequestsStillGetsEveryAnswer() throws Exception {
        Process process = new ProcessBuilder(McpTestServer.javaExecutable(), "-cp", System.getProperty("java.class.path"),
                "dev.cloudrun.cli.CloudRunCli", "mcp", "--backend", "local")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String input = String.join("\n",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"test\",\"version\":\"1\"}}}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}",
                "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\",\"arguments\":"
                        + "{\"language\":\"python\",\"source\":\"print(6 * 7)\"}}}",
                "");
        try (java.io.OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(out.lines().toList()).hasSize(2);
        assertThat(out).contains("\"id\":2", "\"stdout\":\"42\\n\"");
    }

    @Test
    void aBadOptionIsAUsageError() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new CloudRunCli(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true),
                new ByteArrayInputStream(new byte[0])).execute(new String[] {"mcp", "--max-sessions", "many"});
        assertThat(code).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--max-sessions must be a positive whole number, not 'many'");
        err.reset();
        code = new CloudRunCli(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true),
                new ByteArrayInputStream(new byte[0])).execute(new String[] {"mcp", "--backend", "cloud"});
        assertThat(code).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--backend must be auto, local or docker, not 'cloud'");
    }
}
