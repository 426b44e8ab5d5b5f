package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run history the IDE's History panel reads, written once and run on each database (see the
 * subclasses): a real server running real programs in the local sandbox, driven with the JDK's HTTP
 * and WebSocket clients. The server keeps 64 bytes of output per run and 2 runs' output per project,
 * so that cutting and pruning show with small programs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RunHistoryApiKit {
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    private CloudRunServer server;
    private ApiClient api;
    private String wsUrl;

    /** @return the settings that choose this kit's database */
    abstract Map<String, String> databaseSettings();

    @BeforeAll
    void startServer(@TempDir Path dataDir) {
        Map<String, String> settings = new HashMap<>(databaseSettings());
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000");
        settings.put("CLOUDRUN_RUN_OUTPUT_KEEP_BYTES", "64");
        settings.put("CLOUDRUN_RUN_OUTPUT_KEEP_RUNS", "2");
        server = CloudRunServer.create(ServerConfig.of(settings)).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
        wsUrl = "ws://127.0.0.1:" + server.port() + "/ws/run";
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
        ServerTestKit.assertNoSandboxProcessesLeft();
    }

    private String register() {
        String name = "h" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ApiClient.Response response = api.post("/api/auth/register", null,
                Map.of("username", name, "email", name + "@example.com", "password", "correct horse battery"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private String project(String token, String entry, String source) {
        ApiClient.Response response = api.post("/api/projects", token, Map.of("name", "p" + UUID.randomUUID().toString()
                .substring(0, 8), "language", "python", "files", Map.of(entry, source, "helper.py", "X = 1\n"), "entry", entry));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("id").asText();
    }

    private JsonNode run(String token, String projectId) {
        ApiClient.Response response = api.post("/api/runs", token, Map.of("projectId", projectId));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json();
    }

    private JsonNode runs(String token, String projectId) {
        ApiClient.Response response = api.get("/api/runs?projectId=" + projectId + "&limit=10", token);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json().path("runs");
    }

    private JsonNode output(String token, String runId) {
        ApiClient.Response response = api.get("/api/runs/" + runId + "/output", token);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json();
    }

    private static List<String> chunks(JsonNode output) {
        List<String> chunks = new ArrayList<>();
        output.path("chunks").forEach(chunk -> chunks.add(chunk.path("stream").asText() + ":" + chunk.path("data").asText()));
        return chunks;
    }

    @Test
    void a_projects_runs_are_listed_newest_first_and_each_keeps_its_output_with_its_streams() {
        String token = register();
        String projectId = project(token, "src/app.py", "import sys, time\nprint('out', flush=True)\n"
                + "time.sleep(0.5)\nprint('err', file=sys.stderr, flush=True)\nsys.exit(3)\n");
        String other = project(token, "main.py", "print('other')\n");
        JsonNode first = run(token, projectId);
        run(token, other);
        JsonNode second = run(token, projectId);

        JsonNode listed = runs(token, projectId);
        assertThat(listed).hasSize(2);
        JsonNode newest = listed.get(0);
        assertThat(newest.path("id").asText()).isEqualTo(second.path("runId").asText());
        assertThat(listed.get(1).path("id").asText()).isEqualTo(first.path("runId").asText());
        assertThat(newest.path("status").asText()).isEqualTo(second.path("status").asText()).isEqualTo("RUNTIME_ERROR");
        assertThat(newest.path("exitCode").asInt()).isEqualTo(3);
        assertThat(newest.path("entryPath").asText()).isEqualTo("src/app.py");
        assertThat(newest.path("language").asText()).isEqualTo("python");
        assertThat(newest.path("projectId").asText()).isEqualTo(projectId);
        assertThat(newest.path("wallTimeMs").asLong()).isEqualTo(second.path("wallTimeMs").asLong());
        assertThat(newest.path("memoryBytes").asLong()).isPositive();
        assertThat(newest.path("finishedAtMillis").asLong()).isGreaterThanOrEqualTo(newest.path("startedAtMillis").asLong());

        JsonNode kept = output(token, second.path("runId").asText());
        // Half a second between the two writes: stdout's chunk was read long before stderr's.
        assertThat(chunks(kept)).containsExactly("stdout:out\n", "stderr:err\n");
        assertThat(kept.path("kept").asBoolean()).isTrue();
        assertThat(kept.path("truncated").asBoolean()).isFalse();
        assertThat(kept.path("keptBytes").asLong()).isEqualTo(8);
        assertThat(kept.path("status").asText()).isEqualTo("RUNTIME_ERROR");
    }

    @Test
    void output_past_the_cap_is_cut_and_said_to_be_cut() {
        String token = register();
        String projectId = project(token, "main.py", "print('x' * 100)\nprint('y' * 100)\n");
        JsonNode result = run(token, projectId);
        assertThat(result.path("stdout").asText()).hasSize(202);

        JsonNode kept = output(token, result.path("runId").asText());
        assertThat(chunks(kept)).containsExactly("stdout:" + "x".repeat(64));
        assertThat(kept.path("truncated").asBoolean()).isTrue();
        assertThat(kept.path("keptBytes").asLong()).isEqualTo(64);
    }

    @Test
    void a_project_keeps_only_its_newest_outputs_and_every_run_stays_listed() {
        String token = register();
        String projectId = project(token, "main.py", "print('hi')\n");
        List<String> ids = new ArrayList<>();
        for (int index = 0; index < 3; index++) {
            ids.add(run(token, projectId).path("runId").asText());
        }
        assertThat(runs(token, projectId)).hasSize(3);
        JsonNode pruned = output(token, ids.get(0));
        assertThat(pruned.path("kept").asBoolean()).isFalse();
        assertThat(pruned.path("chunks")).isEmpty();
        assertThat(chunks(output(token, ids.get(1)))).containsExactly("stdout:hi\n");
        assertThat(chunks(output(token, ids.get(2)))).containsExactly("stdout:hi\n");
    }

    @Test
    void deleting_a_project_deletes_its_kept_output_but_not_its_runs() {
        String token = register();
        String projectId = project(token, "main.py", "print('private')\n");
        String runId = run(token, projectId).path("runId").asText();
        assertThat(chunks(output(token, runId))).containsExactly("stdout:private\n");

        assertThat(api.delete("/api/projects/" + projectId, token).status()).isEqualTo(204);

        JsonNode gone = output(token, runId);
        assertThat(gone.path("kept").asBoolean()).isFalse();
        assertThat(gone.path("chunks")).isEmpty();
        assertThat(runs(token, projectId)).hasSize(1);
    }

    @Test
    void a_websocket_run_keeps_the_output_its_messages_carried() {
        String token = register();
        String projectId = project(token, "main.py", "name = input('Name? ')\nprint('Hello, ' + name)\n");
        String runId;
        StringBuilder streamed = new StringBuilder();
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            assertThat(socket.next(RUN_TIMEOUT).path("type").asText()).isEqualTo("authenticated");
            socket.send(Map.of("type", "start", "projectId", projectId));
            JsonNode accepted = socket.next(RUN_TIMEOUT);
            runId = accepted.path("runId").asText();
            socket.awaitStdout("Name? ", RUN_TIMEOUT);
            socket.send(Map.of("type", "stdin", "data", "Ada\n"));
            socket.untilType("finished", RUN_TIMEOUT);
        }
        JsonNode kept = output(token, runId);
        kept.path("chunks").forEach(chunk -> streamed.append(chunk.path("data").asText()));
        // The terminal echoes what the user types; the program's output is what is kept.
        assertThat(streamed.toString()).isEqualTo("Name? Hello, Ada\n");
        assertThat(runs(token, projectId).get(0).path("via").asText()).isEqualTo("websocket");
    }

    @Test
    void another_users_run_and_project_are_not_found_and_bad_query_values_name_their_field() {
        String alice = register();
        String bob = register();
        String projectId = project(alice, "main.py", "print('secret')\n");
        String runId = run(alice, projectId).path("runId").asText();

        ApiClient.Response foreign = api.get("/api/runs/" + runId + "/output", bob);
        assertThat(foreign.status()).isEqualTo(404);
        assertThat(foreign.text()).doesNotContain("secret");
        assertThat(api.get("/api/runs/" + runId, bob).status()).isEqualTo(404);
        assertThat(runs(bob, projectId)).isEmpty();
        assertThat(api.get("/api/runs/no-such-run/output", alice).status()).isEqualTo(404);
        assertThat(api.get("/api/runs/" + runId + "/output", null).status()).isEqualTo(401);

        JsonNode paths = api.get("/api/openapi.json", null).json().path("paths");
        assertThat(paths.path("/api/runs/{id}/output").path("get").path("responses").has("404")).isTrue();
        assertThat(paths.path("/api/runs").path("get").path("parameters").findValuesAsText("name")).contains("limit", "projectId");

        for (String query : List.of("limit=0", "limit=501", "limit=ten", "limit=1%20OR%201=1")) {
            ApiClient.Response bad = api.get("/api/runs?projectId=" + projectId + "&" + query, alice);
            assertThat(bad.status()).as(query).isEqualTo(400);
            assertThat(bad.json().path("error").path("field").asText()).as(query).isEqualTo("limit");
        }
        for (String projectQuery : List.of("..%2Fetc", "a%20b", "x".repeat(37), "")) {
            ApiClient.Response bad = api.get("/api/runs?projectId=" + projectQuery, alice);
            assertThat(bad.status()).as(projectQuery).isEqualTo(400);
            assertThat(bad.json().path("error").path("field").asText()).as(projectQuery).isEqualTo("projectId");
        }
    }
}
