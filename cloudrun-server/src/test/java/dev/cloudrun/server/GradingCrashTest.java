package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server killed with SIGKILL in the middle of a batch (SQLite, the local sandbox): after a
 * restart on the same data directory every submission is graded, none is lost, and each ends
 * {@code DONE} once, with the cases of its last attempt only.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GradingCrashTest {
    static final String SLOW_SUM = "import time\ntime.sleep(0.4)\n" + GradingApiTest.SUM_PY;

    @Test
    void a_server_killed_mid_batch_grades_every_submission_after_restart_none_lost_none_twice(@TempDir Path dataDir)
            throws Exception {
        Map<String, String> settings = Map.of("CLOUDRUN_GRADING_WORKERS", "2");
        String key;
        List<String> ids = new ArrayList<>();
        Set<String> inProgressAtKill;
        try (ChildServer first = ChildServer.start(dataDir, "local", settings)) {
            ApiClient api = first.api();
            key = GradingApiTest.makeKey(api, GradingApiTest.register(api, "crashed"), List.of("grade"));
            String problem = GradingApiTest.createProblem(api, key, GradingApiTest.sumSuite());
            List<Map<String, Object>> batch = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                batch.add(Map.of("problemId", problem, "language", "python", "source", SLOW_SUM));
            }
            ApiClient.Response accepted = api.post("/api/submissions/batch", key, Map.of("submissions", batch));
            assertThat(accepted.status()).as(accepted.text()).isEqualTo(202);
            accepted.json().path("submissions").forEach(s -> ids.add(s.path("id").asText()));

            // Kill it once some are done and some are being graded.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).until(() -> {
                Map<String, Integer> counts = statusCounts(api, key, ids);
                return counts.getOrDefault("DONE", 0) >= 1
                        && counts.getOrDefault("RUNNING", 0) + counts.getOrDefault("COMPILING", 0) >= 1;
            });
            first.kill9();
            inProgressAtKill = Set.copyOf(ids);
        }
        try (ChildServer second = ChildServer.start(dataDir, "local", settings)) {
            ApiClient api = second.api();
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(250))
                    .until(() -> statusCounts(api, key, ids).getOrDefault("DONE", 0) == ids.size());
            int retried = 0;
            for (String id : ids) {
                JsonNode submission = api.get("/api/submissions/" + id, key).json();
                assertThat(submission.path("verdict").asText()).as(submission.toString()).isEqualTo("ACCEPTED");
                assertThat(submission.path("score").asDouble()).isEqualTo(4.0);
                assertThat(submission.path("report").path("cases")).hasSize(3);
                assertThat(submission.path("attempts").asInt()).isBetween(1, 2);
                retried += submission.path("attempts").asInt() == 2 ? 1 : 0;
            }
            assertThat(retried).as("the submissions being graded at the kill were graded again").isGreaterThanOrEqualTo(1);
            assertThat(inProgressAtKill).hasSize(ids.size());
            assertThat(api.get("/api/submissions?status=DONE&limit=500", key).json().path("submissions")).hasSize(ids.size());
            assertThat(second.output()).contains("back in the queue");
        }
    }

    static Map<String, Integer> statusCounts(ApiClient api, String key, List<String> ids) {
        Map<String, Integer> counts = new HashMap<>();
        for (String id : ids) {
            counts.merge(api.get("/api/submissions/" + id, key).json().path("status").asText(), 1, Integer::sum);
        }
        return counts;
    }
}
