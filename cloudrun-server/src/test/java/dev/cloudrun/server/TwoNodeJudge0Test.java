package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.http.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server processes with {@code CLOUDRUN_COMPAT=judge0} on one PostgreSQL database share the Judge0 queue:
 * a batch posted to one node is run once each, by either node, and every token reads from the other node;
 * when a node is killed while it runs submissions, the other runs them once their leases run out.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class TwoNodeJudge0Test {
    private PostgresSchema schema;

    @AfterEach
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }

    private Map<String, String> node(String name) {
        String url = schema.url();
        Map<String, String> settings = new HashMap<>();
        settings.put("DATABASE_URL", url);
        settings.put("CLOUDRUN_NODE_ID", name);
        settings.put("CLOUDRUN_COMPAT", "judge0");
        settings.put("CLOUDRUN_JUDGE0_LEASE_SECONDS", "3");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_IP_CONCURRENT_RUNS", "20");
        settings.put("CLOUDRUN_USER_CONCURRENT_RUNS", "20");
        settings.put("CLOUDRUN_JWT_SECRET", "two-nodes-share-this-secret-of-more-than-32-characters");
        return settings;
    }

    @Test
    void a_batch_runs_once_each_on_either_node_and_a_killed_nodes_rows_are_run_by_the_other(@TempDir Path a,
            @TempDir Path b) throws Exception {
        schema = PostgresSchema.create("judge0_nodes");
        try (ChildServer nodeA = ChildServer.start(a, "local", node("node-a"));
             ChildServer nodeB = ChildServer.start(b, "local", node("node-b"))) {
            ApiClient apiA = nodeA.api();
            ApiClient apiB = nodeB.api();
            String session = GradingApiTest.register(apiA, "judge0nodes");
            String key = GradingApiTest.makeKey(apiA, session, List.of("run"));

            List<String> batch = postBatch(apiA, key, 20, "import time\ntime.sleep(0.3)\nprint('run', %d)\n");
            Map<String, JsonNode> done = awaitFinished(apiB, key, batch);
            for (int i = 0; i < batch.size(); i++) {
                JsonNode submission = done.get(batch.get(i));
                assertThat(submission.path("status").path("id").asInt()).as(submission.toString()).isEqualTo(3);
                assertThat(submission.path("stdout").asText()).isEqualTo("run " + i + "\n");
            }
            assertThat(judge0RunsInHistory()).as("each submission ran exactly once").isEqualTo(batch.size());

            // Kill node B while it runs submissions; node A runs them after their leases run out.
            List<String> second = postBatch(apiA, key, 8, "import time\ntime.sleep(4)\nprint('slow', %d)\n");
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> !heldBy("judge0-node-b").isEmpty());
            Set<String> heldByB = heldBy("judge0-node-b");
            nodeB.kill9();
            Map<String, JsonNode> finished = awaitFinished(apiA, key, second);
            for (int i = 0; i < second.size(); i++) {
                JsonNode submission = finished.get(second.get(i));
                assertThat(submission.path("status").path("id").asInt()).as(submission.toString()).isEqualTo(3);
                assertThat(submission.path("stdout").asText()).isEqualTo("slow " + i + "\n");
            }
            assertThat(heldByB).isNotEmpty();
            assertThat(second).containsAll(heldByB);
        }
    }

    private static List<String> postBatch(ApiClient api, String key, int count, String template) {
        List<Map<String, Object>> submissions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            submissions.add(Map.of("language_id", 71, "source_code", String.format(template, i)));
        }
        ApiClient.Response created = api.send(judge0(api, "/judge0/submissions/batch", key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(Map.of("submissions", submissions)))));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        List<String> tokens = new ArrayList<>();
        created.json().forEach(answer -> tokens.add(answer.path("token").asText()));
        assertThat(tokens).hasSize(count).doesNotContain("");
        return tokens;
    }

    private static Map<String, JsonNode> awaitFinished(ApiClient api, String key, List<String> tokens) {
        Map<String, JsonNode> found = new HashMap<>();
        await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(250)).until(() -> {
            ApiClient.Response read = api.send(judge0(api, "/judge0/submissions/batch?tokens=" + String.join(",", tokens)
                    + "&fields=token,status,stdout", key).GET());
            assertThat(read.status()).as(read.text()).isEqualTo(200);
            found.clear();
            read.json().path("submissions").forEach(submission -> found.put(submission.path("token").asText(), submission));
            assertThat(found.keySet()).as("every token reads from this node").containsExactlyInAnyOrderElementsOf(tokens);
            return found.values().stream().allMatch(submission -> submission.path("status").path("id").asInt() > 2);
        });
        return found;
    }

    private static HttpRequest.Builder judge0(ApiClient api, String path, String key) {
        return HttpRequest.newBuilder(URI.create(api.url(path))).timeout(Duration.ofSeconds(30)).header("X-Auth-Token", key);
    }

    private int judge0RunsInHistory() throws SQLException {
        int[] count = new int[1];
        schema.query("SELECT COUNT(*) FROM runs WHERE via = 'judge0'", rows -> count[0] = rows.getInt(1));
        return count[0];
    }

    private Set<String> heldBy(String node) throws SQLException {
        Set<String> held = new HashSet<>();
        schema.query("SELECT token FROM judge0_submissions WHERE lease_owner = '" + node + "' AND status_id = 2",
                rows -> held.add(rows.getString(1)));
        return held;
    }

}
