package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Two server nodes on one PostgreSQL database share one queue: a batch sent to one node is graded
 * by both, each submission exactly once; when one node is killed mid-batch, the other takes over
 * its submissions once their leases run out.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class TwoNodeGradingTest {
    private PostgresSchema schema;

    @AfterEach
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }

    private Map<String, String> node(String name) {
        String url = schema.url();
        return Map.of("DATABASE_URL", url, "CLOUDRUN_NODE_ID", name, "CLOUDRUN_GRADING_LEASE_SECONDS", "3",
                "CLOUDRUN_JWT_SECRET", "two-nodes-share-this-secret-of-more-than-32-characters");
    }

    @Test
    void two_nodes_share_a_batch_with_none_graded_twice_and_one_takes_over_when_the_other_dies(@TempDir Path a,
            @TempDir Path b) throws Exception {
        schema = PostgresSchema.create("nodes");
        try (ChildServer nodeA = ChildServer.start(a, "local", node("node-a"));
             ChildServer nodeB = ChildServer.start(b, "local", node("node-b"))) {
            ApiClient apiA = nodeA.api();
            ApiClient apiB = nodeB.api();
            String key = GradingApiTest.makeKey(apiA, GradingApiTest.register(apiA, "shared"), List.of("grade"));
            String problem = GradingApiTest.createProblem(apiA, key, GradingApiTest.sumSuite());

            List<String> batch = submit(apiA, key, problem, 24, "import time\ntime.sleep(0.1)\n" + GradingApiTest.SUM_PY);
            await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(250))
                    .until(() -> GradingCrashTest.statusCounts(apiB, key, batch).getOrDefault("DONE", 0) == batch.size());
            Set<String> graders = new HashSet<>();
            for (String id : batch) {
                JsonNode submission = apiB.get("/api/submissions/" + id, key).json();
                assertThat(submission.path("verdict").asText()).isEqualTo("ACCEPTED");
                assertThat(submission.path("attempts").asInt()).as("claimed once").isEqualTo(1);
                graders.add(submission.path("gradedBy").asText());
            }
            assertThat(graders).as("both nodes graded part of the batch").containsExactlyInAnyOrder("node-a", "node-b");
            assertThat(caseRows(batch)).as("each case judged once").allSatisfy((id, rows) -> assertThat(rows).isEqualTo(3));

            // Now kill node B while it holds submissions.
            List<String> second = submit(apiA, key, problem, 8, GradingCrashTest.SLOW_SUM);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> !heldBy("node-b").isEmpty());
            Set<String> heldByB = heldBy("node-b");
            nodeB.kill9();
            await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(250))
                    .until(() -> GradingCrashTest.statusCounts(apiA, key, second).getOrDefault("DONE", 0) == second.size());
            for (String id : heldByB) {
                JsonNode submission = apiA.get("/api/submissions/" + id, key).json();
                assertThat(submission.path("verdict").asText()).isEqualTo("ACCEPTED");
                assertThat(submission.path("gradedBy").asText()).as("node A took it over").isEqualTo("node-a");
                assertThat(submission.path("attempts").asInt()).isEqualTo(2);
                assertThat(submission.path("report").path("cases")).hasSize(3);
            }
            assertThat(nodeA.output()).contains("stopped renewing its lease");
        }
    }

    private static List<String> submit(ApiClient api, String key, String problem, int count, String source) {
        List<Map<String, Object>> submissions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            submissions.add(Map.of("problemId", problem, "language", "python", "source", source));
        }
        ApiClient.Response accepted = api.post("/api/submissions/batch", key, Map.of("submissions", submissions));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
        List<String> ids = new ArrayList<>();
        accepted.json().path("submissions").forEach(s -> ids.add(s.path("id").asText()));
        return ids;
    }

    private Set<String> heldBy(String node) throws SQLException {
        Set<String> held = new HashSet<>();
        schema.query("SELECT id FROM submissions WHERE lease_owner = '" + node + "' AND status IN ('COMPILING', 'RUNNING')",
                rows -> held.add(rows.getString(1)));
        return held;
    }

    private Map<String, Integer> caseRows(List<String> ids) throws SQLException {
        Map<String, Integer> rows = new HashMap<>();
        schema.query("SELECT submission_id, COUNT(*) FROM submission_cases GROUP BY submission_id",
                result -> rows.put(result.getString(1), result.getInt(2)));
        rows.keySet().retainAll(ids);
        assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        return rows;
    }

}
