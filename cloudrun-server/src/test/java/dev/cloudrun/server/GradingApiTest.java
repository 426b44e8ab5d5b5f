package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The grading API end to end on a real server (SQLite, the local sandbox): keys, problems as JSON
 * and as zips in each folder layout, submissions one by one, waiting and in batches, verdicts,
 * the list, the event stream, and every kind of bad input named by its field with nothing stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GradingApiTest {
    static final String SUM_PY = "a, b = map(int, input().split())\nprint(a + b)\n";
    static final String SUM_C = "#include <stdio.h>\nint main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a+b);return 0;}\n";
    static final String WRONG_C = "#include <stdio.h>\nint main(){long a,b;scanf(\"%ld %ld\",&a,&b);printf(\"%ld\\n\",a-b);return 0;}\n";

    CloudRunServer server;
    ApiClient api;
    String session;
    String key;

    @BeforeAll
    void start(@TempDir Path dataDir) {
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend());
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000");
        server = CloudRunServer.create(ServerConfig.of(settings)).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
        session = register(api, "grader");
        key = makeKey(api, session, List.of("grade"));
    }

    /** @return the sandbox backend this kit's server runs on */
    String backend() {
        return "local";
    }

    @AfterAll
    void stop() {
        server.close();
    }

    static String register(ApiClient api, String name) {
        ApiClient.Response registered = api.post("/api/auth/register", null, Map.of("username", name,
                "email", name + "@example.com", "password", "a long grading password"));
        assertThat(registered.status()).as(registered.text()).isEqualTo(201);
        return registered.json().path("token").asText();
    }

    static String makeKey(ApiClient api, String session, List<String> scopes) {
        ApiClient.Response made = api.post("/api/keys", session, Map.of("name", "lms", "scopes", scopes));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        return made.json().path("key").asText();
    }

    static Map<String, Object> sumSuite() {
        return Map.of("cases", List.of(
                Map.of("name", "small", "input", "2 3\n", "output", "5\n"),
                Map.of("name", "negative", "input", "-4 1\n", "output", "-3\n"),
                Map.of("name", "big", "input", "1000000000 2000000000\n", "output", "3000000000\n", "points", 2)),
                "timeLimit", "2s");
    }

    static String createProblem(ApiClient api, String key, Map<String, Object> suite) {
        Map<String, Object> body = new LinkedHashMap<>(suite);
        body.put("name", "sum");
        ApiClient.Response created = api.post("/api/problems", key, body);
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        return created.json().path("id").asText();
    }

    static JsonNode awaitDone(ApiClient api, String key, String id) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            last[0] = api.get("/api/submissions/" + id, key).json();
            String status = last[0].path("status").asText();
            return status.equals("DONE") || status.equals("FAILED");
        });
        return last[0];
    }

    @Test
    void a_submission_made_with_wait_is_graded_against_a_stored_problem_and_answered_whole() {
        String problem = createProblem(api, key, sumSuite());
        ApiClient.Response graded = api.post("/api/submissions?wait=true", key,
                Map.of("problemId", problem, "language", "python", "source", SUM_PY));

        assertThat(graded.status()).as(graded.text()).isEqualTo(200);
        JsonNode body = graded.json();
        assertThat(body.path("status").asText()).isEqualTo("DONE");
        assertThat(body.path("verdict").asText()).isEqualTo("ACCEPTED");
        assertThat(body.path("score").asDouble()).isEqualTo(4.0);
        assertThat(body.path("maxScore").asDouble()).isEqualTo(4.0);
        assertThat(body.path("report").path("cases")).hasSize(3);
        assertThat(body.path("report").path("cases").get(0).path("name").asText()).isEqualTo("small");
        assertThat(body.path("timings").path("totalMs").asLong()).isPositive();
        assertThat(body.path("attempts").asInt()).isEqualTo(1);
        assertThat(graded.header("Location")).contains("/api/submissions/" + body.path("id").asText());
    }

    @Test
    void a_batch_gets_each_verdict_and_the_list_pages_through_it_by_problem_and_status() {
        String problem = createProblem(api, key, sumSuite());
        ApiClient.Response batch = api.post("/api/submissions/batch", key, Map.of("submissions", List.of(
                Map.of("problemId", problem, "language", "c", "source", SUM_C),
                Map.of("problemId", problem, "language", "c", "source", WRONG_C),
                Map.of("problemId", problem, "language", "c", "source", "int main( { return 0; }"),
                Map.of("problemId", problem, "language", "python", "source", "import sys\nsys.exit(3)\n"))));
        assertThat(batch.status()).as(batch.text()).isEqualTo(202);
        List<String> ids = new ArrayList<>();
        batch.json().path("submissions").forEach(s -> ids.add(s.path("id").asText()));
        assertThat(ids).hasSize(4).doesNotHaveDuplicates();

        List<JsonNode> done = ids.stream().map(id -> awaitDone(api, key, id)).toList();
        assertThat(done).extracting(s -> s.path("verdict").asText())
                .containsExactly("ACCEPTED", "WRONG_ANSWER", "COMPILE_ERROR", "RUNTIME_ERROR");
        JsonNode wrong = done.get(1).path("report");
        assertThat(wrong.path("cases").get(0).path("message").asText()).contains("expected `5`, got `-1`");
        assertThat(done.get(2).path("report").path("compilerOutput").asText()).contains("error");
        assertThat(done.get(0).path("report").path("cases").get(0).path("memoryBytes").asLong()).isPositive();

        List<String> listed = new ArrayList<>();
        String cursor = null;
        do {
            ApiClient.Response page = api.get("/api/submissions?problem=" + problem + "&status=DONE&limit=3"
                    + (cursor == null ? "" : "&cursor=" + cursor), key);
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            page.json().path("submissions").forEach(s -> listed.add(s.path("id").asText()));
            cursor = page.json().path("nextCursor").isNull() ? null : page.json().path("nextCursor").asText();
        } while (cursor != null);
        assertThat(listed).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(api.get("/api/submissions?status=QUEUED&problem=" + problem, key).json().path("submissions")).isEmpty();
        assertThat(api.get("/api/submissions?status=LOST", key).errorCode()).isEqualTo("invalid_field");
    }

    @Test
    void the_event_stream_sends_each_case_then_the_whole_submission() throws Exception {
        Map<String, Object> slow = new LinkedHashMap<>(sumSuite());
        String problem = createProblem(api, key, slow);
        ApiClient.Response submitted = api.post("/api/submissions", key, Map.of("problemId", problem, "language", "python",
                "source", "import time\ntime.sleep(0.3)\n" + SUM_PY));
        assertThat(submitted.status()).isEqualTo(202);
        String id = submitted.json().path("id").asText();

        HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + server.port() + "/api/submissions/" + id + "/events"))
                .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
        List<String> events = new ArrayList<>();
        String doneData = null;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            String event = null;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.startsWith("event: ")) {
                    event = line.substring(7);
                    events.add(event);
                } else if (line.startsWith("data: ") && "done".equals(event)) {
                    doneData = line.substring(6);
                }
            }
        }
        assertThat(events).filteredOn("case"::equals).hasSize(3);
        assertThat(events).first().isEqualTo("status");
        assertThat(events).last().isEqualTo("done");
        assertThat(ApiClient.MAPPER.readTree(doneData).path("verdict").asText()).isEqualTo("ACCEPTED");
    }

    @Test
    void problems_upload_as_zips_in_each_folder_layout() throws IOException {
        Map<String, byte[]> plain = new LinkedHashMap<>();
        plain.put("1.in", "1 2\n".getBytes(StandardCharsets.UTF_8));
        plain.put("1.out", "3\n".getBytes(StandardCharsets.UTF_8));
        plain.put("2.in", "5 5\n".getBytes(StandardCharsets.UTF_8));
        plain.put("2.out", "10\n".getBytes(StandardCharsets.UTF_8));
        plain.put("suite.json", "{\"points\": {\"1\": 1, \"2\": 3}}".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> polygon = new LinkedHashMap<>();
        polygon.put("tests/01", "1 2\n".getBytes(StandardCharsets.UTF_8));
        polygon.put("tests/01.a", "3\n".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> cms = new LinkedHashMap<>();
        cms.put("input/input0.txt", "7 8\n".getBytes(StandardCharsets.UTF_8));
        cms.put("output/output0.txt", "15\n".getBytes(StandardCharsets.UTF_8));

        for (Map<String, byte[]> layout : List.of(plain, polygon, cms)) {
            ApiClient.Response created = postZip("/api/problems?name=zipped", zip(layout));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            assertThat(created.json().path("format").asText()).isEqualTo("zip");
            String problem = created.json().path("id").asText();
            JsonNode graded = api.post("/api/submissions?wait=true", key,
                    Map.of("problemId", problem, "language", "c", "source", SUM_C)).json();
            assertThat(graded.path("verdict").asText()).as(graded.toString()).isEqualTo("ACCEPTED");
            assertThat(graded.path("score").asDouble()).isEqualTo(layout == plain ? 4.0 : 1.0);
        }
        ApiClient.Response shown = api.get("/api/problems", key);
        assertThat(shown.json().path("problems").size()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void hostile_zips_are_refused_naming_the_zip_and_nothing_is_stored() throws IOException {
        int before = api.get("/api/problems?limit=500", key).json().path("problems").size();
        assertRefused(zip(Map.of("../evil.in", new byte[1], "1.out", new byte[1])), "..");
        assertRefused(zip(Map.of("/abs/1.in", new byte[1])), "absolute");
        assertRefused(withLink(zip(Map.of("1.in", "x".getBytes(StandardCharsets.UTF_8), "1.out", "/etc/passwd".getBytes(StandardCharsets.UTF_8)))),
                "link");
        Map<String, byte[]> many = new LinkedHashMap<>();
        for (int i = 0; i < 10_001; i++) {
            many.put("f" + i, new byte[0]);
        }
        assertRefused(zip(many), "10000");
        assertRefused(bomb(), "256 MiB");
        assertRefused(zip(Map.of("1.in", "1 2".getBytes(StandardCharsets.UTF_8))), "");
        assertRefused("not a zip at all".getBytes(StandardCharsets.UTF_8), "not a zip");
        assertThat(api.get("/api/problems?limit=500", key).json().path("problems").size()).isEqualTo(before);
    }

    private void assertRefused(byte[] zip, String said) {
        ApiClient.Response refused = postZip("/api/problems?name=hostile", zip);
        assertThat(refused.status()).as(refused.text()).isEqualTo(400);
        assertThat(refused.json().path("error").path("message").asText()).contains(said);
        assertThat(refused.json().path("error").path("field").asText()).isNotEmpty();
    }

    @Test
    void bad_submissions_and_suites_name_their_field_and_store_nothing() {
        String problem = createProblem(api, key, sumSuite());
        assertField(api.post("/api/problems", key, Map.of("name", "empty", "cases", List.of())), 400, "cases");
        assertField(api.post("/api/problems", key, Map.of("name", "twice", "cases", List.of(
                Map.of("name", "a", "input", "", "output", ""), Map.of("name", "a", "input", "", "output", "")))), 400, "cases[a]");
        assertField(api.post("/api/problems", key, Map.of("name", "negative", "cases", List.of(
                Map.of("name", "a", "input", "", "output", "", "points", -1)))), 400, "cases[a].points");
        assertField(api.post("/api/problems", key, Map.of("name", "bad64", "cases", List.of(
                Map.of("name", "a", "inputBase64", "***", "output", "")))), 400, "cases[0].inputBase64");
        assertField(api.post("/api/submissions", key, Map.of("problemId", problem, "language", "cobol-2099", "source", "x")),
                400, "language");
        assertField(api.post("/api/submissions", key, Map.of("problemId", problem, "language", "python")), 400, "source");
        assertField(api.post("/api/submissions", key, Map.of("language", "python", "source", "x")), 400, "problemId");
        assertField(api.post("/api/submissions", key, Map.of("problemId", problem, "language", "python", "source", "x",
                "callbackUrl", "ftp://example.com/x")), 400, "callbackUrl");
        assertField(api.post("/api/submissions", key, Map.of("problemId", problem, "language", "python", "source", "x",
                "files", Map.of("../escape.txt", "x"))), 400, "files[../escape.txt]");
        assertField(api.post("/api/submissions/batch", key, Map.of("submissions", List.of(
                Map.of("problemId", problem, "language", "python", "source", SUM_PY),
                Map.of("problemId", problem, "language", "nope", "source", SUM_PY)))), 400, "submissions[1].language");
        assertField(api.post("/api/submissions", key, Map.of("language", "python", "source", "x",
                "suite", Map.of("cases", List.of(Map.of("name", "a", "output", "1", "points", -2))))), 400, "suite.cases[a].points");
        assertThat(api.get("/api/submissions?problem=" + problem, key).json().path("submissions")).isEmpty();
        assertThat(api.get("/api/submissions/00000000-0000-0000-0000-000000000000", key).status()).isEqualTo(404);
    }

    @Test
    void keys_and_owners_fence_the_api() {
        String problem = createProblem(api, key, sumSuite());
        assertThat(api.get("/api/problems", null).status()).isEqualTo(401);
        assertThat(api.get("/api/problems", session).status()).as("a session token is not an API key").isEqualTo(401);
        String runOnly = makeKey(api, session, List.of("run"));
        assertThat(api.get("/api/problems", runOnly).errorCode()).isEqualTo("scope_missing");

        String other = makeKey(api, register(api, "another"), List.of("grade"));
        assertThat(api.get("/api/problems/" + problem, other).status()).isEqualTo(404);
        assertThat(api.post("/api/submissions", other, Map.of("problemId", problem, "language", "python", "source", SUM_PY))
                .status()).isEqualTo(404);
        String mine = api.post("/api/submissions?wait=true", key, Map.of("problemId", problem, "language", "python",
                "source", SUM_PY)).json().path("id").asText();
        assertThat(api.get("/api/submissions/" + mine, other).status()).isEqualTo(404);
        assertThat(api.get("/api/submissions/" + mine + "/events", other).status()).isEqualTo(404);
    }

    @Test
    void an_inline_suite_with_a_checker_program_that_does_not_compile_is_a_checker_error_on_every_case() {
        Map<String, Object> suite = new LinkedHashMap<>(sumSuite());
        suite.put("checker", Map.of("type", "program", "language", "cpp", "source", "int main( {"));
        JsonNode graded = api.post("/api/submissions?wait=true", key, Map.of("suite", suite, "language", "python",
                "source", SUM_PY)).json();
        assertThat(graded.path("status").asText()).isEqualTo("DONE");
        assertThat(graded.path("report").path("cases")).allSatisfy(c ->
                assertThat(c.path("verdict").asText()).isEqualTo("CHECKER_ERROR"));
        assertThat(graded.path("verdict").asText()).isEqualTo("CHECKER_ERROR");
    }

    @Test
    void a_problem_replaced_grades_new_submissions_with_its_new_version_and_a_deleted_one_is_gone() {
        String problem = createProblem(api, key, sumSuite());
        Map<String, Object> replacement = new LinkedHashMap<>(Map.of("cases",
                List.of(Map.of("name", "only", "input", "1 1\n", "output", "2\n", "points", 10))));
        replacement.put("name", "sum v2");
        ApiClient.Response replaced = api.send(api.request("/api/problems/" + problem, key).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(ApiClient.toJson(replacement))));
        assertThat(replaced.status()).as(replaced.text()).isEqualTo(200);
        assertThat(replaced.json().path("version").asInt()).isEqualTo(2);
        JsonNode graded = api.post("/api/submissions?wait=true", key, Map.of("problemId", problem, "language", "python",
                "source", SUM_PY)).json();
        assertThat(graded.path("maxScore").asDouble()).isEqualTo(10.0);
        assertThat(api.delete("/api/problems/" + problem, key).status()).isEqualTo(204);
        assertThat(api.get("/api/problems/" + problem, key).status()).isEqualTo(404);
    }

    @Test
    void a_key_over_its_rate_or_queue_limit_gets_429_with_retry_after(@TempDir Path dataDir) {
        // A node that grades nothing keeps every submission waiting, so the queue limit is reached.
        try (CloudRunServer limited = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", backend(), "CLOUDRUN_GRADING_WORKERS", "0",
                "CLOUDRUN_KEY_SUBMISSIONS_PER_MINUTE", "3", "CLOUDRUN_KEY_MAX_QUEUED", "10"))).start()) {
            ApiClient client = new ApiClient("http://127.0.0.1:" + limited.port());
            String session = register(client, "limited");
            String limitedKey = makeKey(client, session, List.of("grade"));
            Map<String, Object> one = Map.of("suite", sumSuite(), "language", "python", "source", SUM_PY);
            for (int i = 0; i < 3; i++) {
                assertThat(client.post("/api/submissions", limitedKey, one).status()).isEqualTo(202);
            }
            ApiClient.Response tooFast = client.post("/api/submissions", limitedKey, one);
            assertThat(tooFast.status()).isEqualTo(429);
            assertThat(tooFast.errorCode()).isEqualTo("rate_limited");
            assertThat(Integer.parseInt(tooFast.header("Retry-After").orElseThrow())).isBetween(1, 60);

            String other = makeKey(client, session, List.of("grade"));
            List<Map<String, Object>> eleven = java.util.Collections.nCopies(11, one);
            ApiClient.Response full = client.post("/api/submissions/batch", other, Map.of("submissions", eleven));
            assertThat(full.status()).isEqualTo(429);
            assertThat(full.errorCode()).isEqualTo("queue_full");
            assertThat(full.header("Retry-After")).isPresent();
            assertThat(client.get("/api/submissions?limit=500", other).json().path("submissions")).as("none of it stored").hasSize(3);
            ApiClient.Response ownMinute = client.post("/api/submissions/batch", other, Map.of("submissions", List.of(one, one)));
            assertThat(ownMinute.status()).as("another key has a minute of its own").isEqualTo(202);
        }
    }

    @Test
    void the_openapi_document_describes_the_grading_api() {
        JsonNode paths = api.get("/api/openapi.json", null).json().path("paths");
        for (String path : List.of("/api/problems", "/api/problems/{id}", "/api/problems/{id}/suite", "/api/submissions",
                "/api/submissions/batch", "/api/submissions/{id}", "/api/submissions/{id}/events")) {
            assertThat(paths.has(path)).as(path).isTrue();
        }
        assertThat(paths.path("/api/submissions").path("post").path("responses").has("202")).isTrue();
    }

    private static void assertField(ApiClient.Response response, int status, String field) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.json().path("error").path("field").asText()).as(response.text()).isEqualTo(field);
        assertThat(response.text()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    private ApiClient.Response postZip(String path, byte[] zip) {
        return api.send(api.request(path, key).header("Content-Type", "application/zip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
    }

    static byte[] zip(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                out.putNextEntry(new ZipEntry(file.getKey()));
                out.write(file.getValue());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Marks the last entry of a zip as a Unix symbolic link, as {@code zip --symlinks} writes one. */
    static byte[] withLink(byte[] zip) {
        ByteBuffer buffer = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int last = -1;
        for (int i = 0; i + 4 <= zip.length; i++) {
            if (buffer.getInt(i) == 0x02014b50) {
                last = i;
            }
        }
        buffer.putShort(last + 4, (short) (3 << 8 | 20));
        buffer.putInt(last + 38, 0120777 << 16);
        return zip;
    }

    /** 300 MiB of zeros in one entry: a few hundred KiB zipped. */
    static byte[] bomb() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            out.putNextEntry(new ZipEntry("1.in"));
            byte[] zeros = new byte[1024 * 1024];
            for (int i = 0; i < 300; i++) {
                out.write(zeros);
            }
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}
