package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run protocol keeps output in order (issue 15, item 2): every output message carries
 * {@code seq}, 1, 2, 3... in the order the server got the chunks, stdout and stderr are never merged
 * into one message nor reordered, and {@code terminal: true} runs the program on a pseudo-terminal
 * (over the socket and {@code POST /api/runs}). A real server on SQLite with the local sandbox,
 * driven by the JDK's WebSocket and HTTP clients.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RunOutputOrderTest {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);
    private static final int PAIRS = 10;

    private CloudRunServer server;
    private ApiClient api;
    private String wsUrl;

    @BeforeAll
    void startServer(@TempDir Path dataDir) {
        ServerConfig config = ServerConfig.of(Map.of("CLOUDRUN_PORT", "0", "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local", "CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "1000"));
        server = CloudRunServer.create(config).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
        wsUrl = "ws://127.0.0.1:" + server.port() + "/ws/run";
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    private String guest() {
        ApiClient.Response response = api.post("/api/auth/guest", null, Map.of());
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private static String alternating(double pauseSeconds) {
        return "import sys, time\nfor i in range(" + PAIRS + "):\n"
                + "    print(f'out{i}', flush=True); time.sleep(" + pauseSeconds + ")\n"
                + "    print(f'err{i}', file=sys.stderr, flush=True); time.sleep(" + pauseSeconds + ")\n";
    }

    private List<JsonNode> runOverSocket(Map<String, Object> start) {
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + guest())) {
            assertThat(socket.next(Duration.ofSeconds(5)).path("type").asText()).isEqualTo("authenticated");
            socket.send(start);
            return socket.untilType("finished", RUN_TIMEOUT);
        }
    }

    private static List<JsonNode> output(List<JsonNode> messages) {
        return messages.stream().filter(m -> List.of("stdout", "stderr", "compiler", "install")
                .contains(m.path("type").asText())).toList();
    }

    /** @return "stream:line" per line, in the order the messages came */
    private static List<String> lines(List<JsonNode> output) {
        List<String> lines = new ArrayList<>();
        for (JsonNode message : output) {
            String data = message.path("data").asText();
            assertThat(data).as("a message holds whole lines here").endsWith("\n");
            for (String line : data.substring(0, data.length() - 1).split("\n", -1)) {
                lines.add(message.path("type").asText() + ":" + line);
            }
        }
        return lines;
    }

    @Test
    void output_messages_carry_seq_one_by_one_and_keep_the_order_of_alternating_writes() {
        List<JsonNode> messages = runOverSocket(Map.of("type", "start", "language", "python", "stdin", "",
                "source", alternating(0.02)));

        assertThat(messages.get(messages.size() - 1).path("status").asText()).isEqualTo("OK");
        List<JsonNode> output = output(messages);
        for (int index = 0; index < output.size(); index++) {
            assertThat(output.get(index).path("seq").asLong()).as("seq of %s", output.get(index)).isEqualTo(index + 1);
            assertThat(output.get(index).path("runId").asText()).isEqualTo(messages.get(0).path("runId").asText());
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            expected.add("stdout:out" + i);
            expected.add("stderr:err" + i);
        }
        assertThat(lines(output)).containsExactlyElementsOf(expected);
        assertThat(messages).filteredOn(m -> m.path("type").asText().equals("phase")).allMatch(m -> !m.has("seq"));
    }

    @Test
    void terminal_mode_gives_the_program_a_terminal_and_one_stream_in_exact_order() {
        List<JsonNode> messages = runOverSocket(Map.of("type", "start", "language", "python", "terminal", true,
                "source", "import sys\nprint(sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())\n"
                        + alternating(0)));

        JsonNode finished = messages.get(messages.size() - 1);
        assertThat(finished.path("status").asText()).as(finished.toString()).isEqualTo("OK");
        List<JsonNode> output = output(messages);
        assertThat(output).allMatch(m -> m.path("type").asText().equals("stdout"));
        StringBuilder expected = new StringBuilder("True True True\n");
        for (int i = 0; i < PAIRS; i++) {
            expected.append("out").append(i).append('\n').append("err").append(i).append('\n');
        }
        StringBuilder joined = new StringBuilder();
        output.forEach(m -> joined.append(m.path("data").asText()));
        assertThat(joined.toString()).isEqualTo(expected.toString());
        assertThat(finished.path("stderrBytes").asInt()).isZero();
    }

    @Test
    void terminal_mode_over_the_rest_api() {
        ApiClient.Response response = api.post("/api/runs", guest(), Map.of("language", "python", "terminal", true,
                "source", "import sys\nprint(sys.stdout.isatty())\nprint('oops', file=sys.stderr)\nsys.exit(3)\n"));

        assertThat(response.status()).as(response.text()).isEqualTo(200);
        assertThat(response.json().path("status").asText()).isEqualTo("RUNTIME_ERROR");
        assertThat(response.json().path("exitCode").asInt()).isEqualTo(3);
        assertThat(response.json().path("stdout").asText()).isEqualTo("True\noops\n");
    }

    @Test
    void terminal_mode_still_finds_a_missing_module_in_the_one_stream() {
        List<JsonNode> messages = runOverSocket(Map.of("type", "start", "language", "python", "terminal", true,
                "source", "import cloudrun_no_such_module\n"));

        JsonNode finished = messages.get(messages.size() - 1);
        assertThat(finished.path("status").asText()).isEqualTo("RUNTIME_ERROR");
        assertThat(finished.path("missingDependencies").toString()).contains("cloudrun_no_such_module");
        assertThat(messages).anyMatch(m -> m.path("type").asText().equals("missing_dependency")
                && m.path("module").asText().equals("cloudrun_no_such_module"));
    }

    @Test
    void terminal_must_be_true_or_false() {
        List<JsonNode> messages;
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + guest())) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "language", "python", "source", "print(1)", "terminal", "yes"));
            messages = socket.untilType("error", RUN_TIMEOUT);
        }
        JsonNode error = messages.get(messages.size() - 1);
        assertThat(error.path("code").asText()).isEqualTo("invalid_field");
        assertThat(error.path("field").asText()).isEqualTo("terminal");
        assertThat(error.path("message").asText()).contains("terminal");
    }
}
