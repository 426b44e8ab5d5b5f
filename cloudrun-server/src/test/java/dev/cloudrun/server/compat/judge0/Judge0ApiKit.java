package dev.cloudrun.server.compat.judge0;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.grading.CallbackSigner;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Judge0 API end to end on a real server: the request/response examples of Judge0's API docs
 * (docs/api/submissions/*.md), every verdict, base64, fields, wait and polling, batches, callbacks to
 * a real receiver, a restart, keys and bad input. Each backend runs it through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class Judge0ApiKit {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String C_HELLO = "#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf(\"%s\", name);\n"
            + "  printf(\"hello, %s\\n\", name);\n  return 0;\n}";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    CloudRunServer server;
    String key;
    String signingSecret;
    String session;

    /** @return the sandbox backend this kit's servers run on */
    abstract String backend();

    /** @return the database settings (none: SQLite in the data dir) */
    Map<String, String> databaseSettings() {
        return Map.of();
    }

    record Response(int status, String text) {
        JsonNode json() {
            try {
                return MAPPER.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + text, e);
            }
        }
    }

    @BeforeAll
    void start(@TempDir Path dataDir) {
        server = startServer(dataDir);
        Response registered = send("POST", "/api/auth/register", null, Map.of("username", "judge", "email",
                "judge@example.com", "password", "a long judge0 password"), "");
        assertThat(registered.status()).as(registered.text()).isEqualTo(201);
        session = registered.json().path("token").asText();
        Response made = send("POST", "/api/keys", null, Map.of("name", "judge0", "scopes", List.of("run")), session);
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        key = made.json().path("key").asText();
        signingSecret = made.json().path("signingSecret").asText(null);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    CloudRunServer startServer(Path dataDir) {
        return startServer(dataDir, Map.of());
    }

    CloudRunServer startServer(Path dataDir, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend());
        settings.put("CLOUDRUN_COMPAT", "judge0");
        settings.put("CLOUDRUN_CALLBACK_ALLOW_PRIVATE", "true");
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "10000");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "10000");
        settings.putAll(databaseSettings());
        settings.putAll(more);
        return CloudRunServer.create(ServerConfig.of(settings)).start();
    }

    Response send(String method, String path, String authToken, Object json) {
        return send(server, method, path, authToken, json, null);
    }

    private Response send(String method, String path, String authToken, Object json, String bearer) {
        return send(server, method, path, authToken, json, bearer == null || bearer.isEmpty() ? null : bearer);
    }

    Response send(CloudRunServer target, String method, String path, String authToken, Object json, String bearer) {
        return send(target.port(), method, path, authToken, json, bearer);
    }

    Response send(int port, String method, String path, String authToken, Object json, String bearer) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(120));
        if (authToken != null) {
            request.header("X-Auth-Token", authToken);
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
        if (json != null) {
            request.header("Content-Type", "application/json");
            body = HttpRequest.BodyPublishers.ofString(json instanceof String text ? text : write(json));
        }
        try {
            HttpResponse<byte[]> response = http.send(request.method(method, body).build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> submission(int languageId, String source, Object... more) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("source_code", source);
        body.put("language_id", languageId);
        for (int i = 0; i < more.length; i += 2) {
            body.put((String) more[i], more[i + 1]);
        }
        return body;
    }

    JsonNode waitFor(Map<String, Object> body) {
        Response response = send("POST", "/judge0/submissions?wait=true", key, body);
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json();
    }

    // ---- Judge0's API docs: create_a_submission.md ----

    @Test
    void docsCreateAnswersATokenAndTheSubmissionFinishes() {
        Response created = send("POST", "/judge0/submissions", key, submission(50, C_HELLO, "stdin", "world"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.json().fieldNames()).toIterable().containsExactly("token");
        String token = created.json().path("token").asText();
        assertThat(token).matches("[0-9a-f-]{36}");
        JsonNode done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(
                () -> send("GET", "/judge0/submissions/" + token, key, null).json(), json -> json.path("status").path("id").asInt() > 2);
        assertThat(done.fieldNames()).toIterable()
                .containsExactly("token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status");
        assertThat(done.path("stdout").asText()).isEqualTo("hello, world\n");
        assertThat(done.path("status").path("description").asText()).isEqualTo("Accepted");
        assertThat(done.path("time").isTextual()).isTrue();
        assertThat(done.path("memory").isNumber()).isTrue();
    }

    @Test
    void docsLanguageBlankAndUnknownAndWallTimeOverTheMaximum() {
        Map<String, Object> noLanguage = new LinkedHashMap<>();
        noLanguage.put("source_code", C_HELLO);
        Response blank = send("POST", "/judge0/submissions", key, noLanguage);
        assertThat(blank.status()).isEqualTo(422);
        assertThat(blank.json()).isEqualTo(MAPPER.valueToTree(Map.of("language_id", List.of("can't be blank"))));
        Response unknown = send("POST", "/judge0/submissions", key, submission(150000, C_HELLO, "stdin", "world",
                "expected_output", "hello, world"));
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json()).isEqualTo(MAPPER.valueToTree(Map.of("language_id",
                List.of("language with id 150000 doesn't exist"))));
        Response wall = send("POST", "/judge0/submissions", key, submission(50, C_HELLO, "wall_time_limit", 100000));
        assertThat(wall.status()).isEqualTo(422);
        assertThat(wall.json().path("wall_time_limit").get(0).asText()).startsWith("must be less than or equal to ");
    }

    @Test
    void docsWaitAnswersTheDefaultFieldsAndLanguageIdMayBeAString() {
        JsonNode done = waitFor(submission(50, C_HELLO, "language_id", "50", "stdin", "Judge0", "expected_output", "hello, Judge0"));
        assertThat(done.path("stdout").asText()).isEqualTo("hello, Judge0\n");
        assertThat(done.path("stderr").isNull()).isTrue();
        assertThat(done.path("compile_output").isNull()).isTrue();
        assertThat(done.path("message").isNull()).isTrue();
        assertThat(done.path("status")).isEqualTo(MAPPER.valueToTree(Map.of("id", 3, "description", "Accepted")));
    }

    @Test
    void docsBase64InAndOut() {
        String source = Base64.getEncoder().encodeToString(C_HELLO.getBytes(StandardCharsets.UTF_8));
        Response response = send("POST", "/judge0/submissions?base64_encoded=true&wait=true", key,
                submission(50, source, "stdin", "SnVkZ2Uw"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        assertThat(response.json().path("stdout").asText()).isEqualTo("aGVsbG8sIEp1ZGdlMAo=\n");
        String token = response.json().path("token").asText();
        JsonNode plain = send("GET", "/judge0/submissions/" + token + "?fields=stdout,source_code", key, null).json();
        assertThat(plain.path("stdout").asText()).isEqualTo("hello, Judge0\n");
        assertThat(plain.path("source_code").asText()).isEqualTo(C_HELLO);
    }

    @Test
    void docsBatchWithAnInvalidMember() {
        Response created = send("POST", "/judge0/submissions/batch", key, Map.of("submissions", List.of(
                submission(46, "echo hello from Bash"), submission(123456789, "print(\"hello from Python\")"),
                submission(71, ""))));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode answers = created.json();
        assertThat(answers.get(1)).isEqualTo(MAPPER.valueToTree(Map.of("language_id",
                List.of("language with id 123456789 doesn't exist"))));
        assertThat(answers.get(2)).isEqualTo(MAPPER.valueToTree(Map.of("source_code", List.of("can't be blank"))));
        String token = answers.get(0).path("token").asText();
        JsonNode batch = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> send("GET",
                        "/judge0/submissions/batch?tokens=" + token + ",no-such-token&fields=token,stdout,status_id,language_id", key, null).json(),
                json -> json.path("submissions").get(0).path("status_id").asInt() > 2);
        assertThat(batch.path("submissions").get(0).path("stdout").asText()).isEqualTo("hello from Bash\n");
        assertThat(batch.path("submissions").get(0).path("language_id").asInt()).isEqualTo(46);
        assertThat(batch.path("submissions").get(1).isNull()).isTrue();
    }

    @Test
    void batchBounds() {
        Response empty = send("POST", "/judge0/submissions/batch", key, Map.of("submissions", List.of()));
        assertThat(empty.status()).isEqualTo(400);
        assertThat(empty.json().path("error").asText()).isEqualTo("there should be at least one submission in a batch");
        List<Object> many = new java.util.ArrayList<>();
        for (int i = 0; i < 21; i++) {
            many.add(submission(46, "echo " + i));
        }
        Response tooMany = send("POST", "/judge0/submissions/batch", key, Map.of("submissions", many));
        assertThat(tooMany.status()).isEqualTo(400);
        assertThat(tooMany.json().path("error").asText())
                .isEqualTo("number of submissions in a batch should be less than or equal to 20");
    }

    // ---- verdicts ----

    @Test
    void wrongAnswerComparesWithoutTrailingWhitespace() {
        assertThat(waitFor(submission(71, "print('a  ')\nprint('b')\n\n", "expected_output", "a\nb"))
                .path("status").path("id").asInt()).isEqualTo(3);
        assertThat(waitFor(submission(71, "print('a')", "expected_output", "b")).path("status").path("id").asInt()).isEqualTo(4);
    }

    @Test
    void compileErrorTimeLimitAndRuntimeErrors() {
        JsonNode compile = waitFor(submission(50, "int main(void) { return x; }"));
        assertThat(compile.path("status").path("id").asInt()).isEqualTo(6);
        assertThat(compile.path("compile_output").asText()).contains("x");
        JsonNode slow = waitFor(submission(71, "while True:\n    pass\n", "cpu_time_limit", 1, "wall_time_limit", 3));
        assertThat(slow.path("status").path("description").asText()).isEqualTo("Time Limit Exceeded");
        JsonNode segv = waitFor(submission(50, "int main(void) { volatile int *p = 0; *p = 1; return 0; }"));
        assertThat(segv.path("status")).isEqualTo(MAPPER.valueToTree(Map.of("id", 7, "description", "Runtime Error (SIGSEGV)")));
        JsonNode fpe = waitFor(submission(50, "#include <stdio.h>\nint main(int argc, char **argv) { int z = argc - 1; printf(\"%d\\n\", 10 / z); return 0; }"));
        assertThat(fpe.path("status").path("id").asInt()).isEqualTo(9);
        JsonNode nzec = waitFor(submission(71, "import sys\nprint(1 / 0)\n"));
        assertThat(nzec.path("status").path("description").asText()).isEqualTo("Runtime Error (NZEC)");
        assertThat(nzec.path("stderr").asText()).contains("ZeroDivisionError");
    }

    // ---- fields the sandbox applies: compiler_options, stack_limit, redirect_stderr_to_stdout ----

    @Test
    void compilerOptionsGoRightAfterTheCompilersName() {
        String program = "#include <stdio.h>\n#ifndef GREETING\n#define GREETING \"plain\"\n#endif\n"
                + "int main(void) { int unused; puts(GREETING); return 0; }\n";
        JsonNode plain = waitFor(submission(50, program));
        JsonNode defined = waitFor(submission(50, program, "compiler_options", "-DGREETING='\"from options\"' -Wall"));
        JsonNode strict = waitFor(submission(50, program, "compiler_options", "-Wall -Werror"));

        assertThat(plain.path("stdout").asText()).isEqualTo("plain\n");
        assertThat(defined.path("status").path("id").asInt()).as(defined.toString()).isEqualTo(3);
        assertThat(defined.path("stdout").asText()).isEqualTo("from options\n");
        assertThat(strict.path("status").path("id").asInt()).as(strict.toString()).isEqualTo(6);
        assertThat(strict.path("compile_output").asText()).contains("unused");
    }

    @Test
    void stackLimitIsTheRunsStackInKilobytes() {
        JsonNode byDefault = waitFor(submission(46, "ulimit -s"));
        JsonNode small = waitFor(submission(46, "ulimit -s", "stack_limit", 8192));
        // About 34 MiB of stack: fine under Judge0's default 64000 KB, a crash under 8192 KB.
        String recursion = "#include <stdio.h>\n"
                + "static int depth(int n) {\n  volatile char pad[1024];\n  pad[0] = 1;\n"
                + "  if (n == 0) return 0;\n  return depth(n - 1) + pad[0];\n}\n"
                + "int main(void) { printf(\"%d\\n\", depth(32 * 1024)); return 0; }\n";
        JsonNode deep = waitFor(submission(50, recursion));
        JsonNode crashed = waitFor(submission(50, recursion, "stack_limit", 8192));

        assertThat(byDefault.path("stdout").asText()).isEqualTo("64000\n");
        assertThat(small.path("stdout").asText()).isEqualTo("8192\n");
        assertThat(deep.path("status").path("id").asInt()).as(deep.toString()).isEqualTo(3);
        assertThat(deep.path("stdout").asText()).isEqualTo("32768\n");
        assertThat(crashed.path("status")).isEqualTo(MAPPER.valueToTree(Map.of("id", 7, "description", "Runtime Error (SIGSEGV)")));
    }

    @Test
    void redirectStderrToStdoutKeepsTheOrderOfTheWrites() {
        String script = "for i in $(seq 1 100); do echo out$i; echo err$i >&2; done";
        JsonNode apart = waitFor(submission(46, script));
        JsonNode merged = waitFor(submission(46, script, "redirect_stderr_to_stdout", true));

        StringBuilder out = new StringBuilder();
        StringBuilder err = new StringBuilder();
        StringBuilder both = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            out.append("out").append(i).append('\n');
            err.append("err").append(i).append('\n');
            both.append("out").append(i).append('\n').append("err").append(i).append('\n');
        }
        assertThat(apart.path("stdout").asText()).isEqualTo(out.toString());
        assertThat(apart.path("stderr").asText()).isEqualTo(err.toString());
        assertThat(merged.path("stdout").asText()).as(merged.toString()).isEqualTo(both.toString());
        assertThat(merged.path("stderr").isNull()).as(merged.toString()).isTrue();
    }

    @Test
    void fieldsStarAndInvalid() {
        String token = waitFor(submission(71, "print('hi')")).path("token").asText();
        JsonNode all = send("GET", "/judge0/submissions/" + token + "?fields=*", key, null).json();
        assertThat(all.has("wall_time")).isTrue();
        assertThat(all.path("language")).isEqualTo(MAPPER.valueToTree(Map.of("id", 71, "name", "Python (3.8.1)")));
        assertThat(all.path("exit_code").asInt()).isZero();
        assertThat(all.path("created_at").asText()).endsWith("Z");
        Response invalid = send("GET", "/judge0/submissions/" + token + "?fields=stdout,nope", key, null);
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().path("error").asText()).isEqualTo("invalid fields: [nope]");
        assertThat(send("GET", "/judge0/submissions/00000000-0000-0000-0000-000000000000", key, null).status()).isEqualTo(404);
    }

    @Test
    void additionalFilesAreUnpackedNextToTheSource() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("data.txt"));
            out.write("from the zip".getBytes(StandardCharsets.UTF_8));
        }
        JsonNode done = waitFor(submission(71, "print(open('data.txt').read())", "additional_files",
                Base64.getEncoder().encodeToString(zip.toByteArray())));
        assertThat(done.path("stdout").asText()).isEqualTo("from the zip\n");
    }

    // ---- callbacks, restart, auth ----

    @Test
    void callbackIsAPutOfTheSubmissionSigned() throws Exception {
        CompletableFuture<Map<String, Object>> received = new CompletableFuture<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, Object> got = new HashMap<>();
            got.put("method", exchange.getRequestMethod());
            got.put("body", body);
            got.put("timestamp", exchange.getRequestHeaders().getFirst(CallbackSigner.TIMESTAMP_HEADER));
            got.put("signature", exchange.getRequestHeaders().getFirst(CallbackSigner.SIGNATURE_HEADER));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            received.complete(got);
        });
        receiver.start();
        try {
            Response created = send("POST", "/judge0/submissions", key, submission(71, "print('called back')",
                    "callback_url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            Map<String, Object> got = received.get(90, TimeUnit.SECONDS);
            assertThat(got.get("method")).isEqualTo("PUT");
            byte[] body = (byte[]) got.get("body");
            JsonNode json = MAPPER.readTree(body);
            assertThat(json.path("token").asText()).isEqualTo(created.json().path("token").asText());
            assertThat(new String(Base64.getMimeDecoder().decode(json.path("stdout").asText()), StandardCharsets.UTF_8))
                    .isEqualTo("called back\n");
            if (signingSecret != null) {
                assertThat(CallbackSigner.verify(signingSecret, (String) got.get("timestamp"), (String) got.get("signature"),
                        body, Clock.systemUTC(), CallbackSigner.DEFAULT_TOLERANCE)).isTrue();
            }
        } finally {
            receiver.stop(0);
        }
    }

    @Test
    void aFinishedSubmissionSurvivesARestart(@TempDir Path dataDir) {
        CloudRunServer first = startServer(dataDir);
        String token;
        try {
            Response done = send(first, "POST", "/judge0/submissions?wait=true", null, submission(71, "print('kept')"), null);
            assertThat(done.status()).as(done.text()).isEqualTo(201);
            token = done.json().path("token").asText();
        } finally {
            first.close();
        }
        CloudRunServer second = startServer(dataDir);
        try {
            Response again = send(second, "GET", "/judge0/submissions/" + token, null, null, null);
            assertThat(again.status()).isEqualTo(200);
            assertThat(again.json().path("stdout").asText()).isEqualTo("kept\n");
        } finally {
            second.close();
        }
    }

    @Test
    void authKeylessRunsAndAWrongKeyIs401() {
        JsonNode keyless = MAPPER.valueToTree(send("POST", "/judge0/submissions?wait=true", null, submission(46, "echo anon")).json());
        assertThat(keyless.path("stdout").asText()).isEqualTo("anon\n");
        assertThat(send("POST", "/judge0/submissions", "cr_wrong_key_000000000000000000", submission(46, "echo x")).status())
                .isEqualTo(401);
        String token = keyless.path("token").asText();
        assertThat(send("DELETE", "/judge0/submissions/" + token, null, null).status()).isEqualTo(403);
        String mine = waitFor(submission(46, "echo mine")).path("token").asText();
        Response deleted = send("DELETE", "/judge0/submissions/" + mine, key, null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().path("stdout").asText()).isEqualTo("bWluZQo=\n");
        assertThat(send("GET", "/judge0/submissions/" + mine, key, null).status()).isEqualTo(404);
    }

    // ---- bad input: Judge0's answers, and nothing runs ----

    @Test
    void badInputIsRefusedAndNothingIsStored() throws IOException {
        Response numbers = send("POST", "/judge0/submissions", key, submission(71, "print(1)", "cpu_time_limit", "fast",
                "memory_limit", 1));
        assertThat(numbers.status()).isEqualTo(422);
        assertThat(numbers.json().path("cpu_time_limit").get(0).asText()).isEqualTo("is not a number");
        assertThat(numbers.json().path("memory_limit").get(0).asText()).isEqualTo("must be greater than or equal to 2048");
        Response overCeiling = send("POST", "/judge0/submissions", key, submission(71, "print(1)", "memory_limit", 99_999_999));
        assertThat(overCeiling.status()).isEqualTo(422);
        assertThat(overCeiling.json().path("memory_limit").get(0).asText()).startsWith("must be less than or equal to ");
        Response base64 = send("POST", "/judge0/submissions?base64_encoded=true", key, submission(71, "not base64 !!"));
        assertThat(base64.status()).isEqualTo(422);
        assertThat(base64.json().has("source_code")).isTrue();
        Response network = send("POST", "/judge0/submissions", key, submission(71, "print(1)", "enable_network", true));
        assertThat(network.json()).isEqualTo(MAPPER.valueToTree(Map.of("enable_network", List.of("enabling network is not allowed"))));
        Response options = send("POST", "/judge0/submissions", key, submission(71, "print(1)", "compiler_options", "-O2"));
        assertThat(options.status()).isEqualTo(422);
        assertThat(options.json()).isEqualTo(MAPPER.valueToTree(Map.of("compiler_options",
                List.of("setting compiler options is only allowed for compiled languages"))));
        Response longOptions = send("POST", "/judge0/submissions", key, submission(50, C_HELLO, "compiler_options",
                "-O2 ".repeat(200)));
        assertThat(longOptions.json().path("compiler_options").get(0).asText()).isEqualTo("is too long (maximum is 512 characters)");
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bomb)) {
            out.putNextEntry(new ZipEntry("zeros"));
            byte[] zeros = new byte[1024 * 1024];
            for (int i = 0; i < 20; i++) {
                out.write(zeros);
            }
        }
        Response zip = send("POST", "/judge0/submissions", key, submission(71, "print(1)", "additional_files",
                Base64.getEncoder().encodeToString(bomb.toByteArray())));
        assertThat(zip.status()).isEqualTo(422);
        assertThat(zip.json().path("additional_files").get(0).asText()).contains("unpacks to more than");
        Response huge = send("POST", "/judge0/submissions", key, submission(71, "#".repeat(50 * 1024 * 1024)));
        assertThat(huge.status()).isEqualTo(413);
        assertThat(huge.json().fieldNames()).toIterable().containsExactly("error");
        assertThat(huge.json().path("error").asText()).startsWith("the request body is larger than ");
        // None of these entered the queue.
        JsonNode workers = send("GET", "/judge0/workers", key, null).json();
        assertThat(workers.get(0).path("size").asInt()).isZero();
    }

    @Test
    void informationEndpoints() {
        assertThat(send("GET", "/judge0/about", null, null).json().path("version").asText()).isEqualTo("1.13.1");
        JsonNode statuses = send("GET", "/judge0/statuses", null, null).json();
        assertThat(statuses).hasSize(14);
        assertThat(statuses.get(10)).isEqualTo(MAPPER.valueToTree(Map.of("id", 11, "description", "Runtime Error (NZEC)")));
        JsonNode languages = send("GET", "/judge0/languages", null, null).json();
        assertThat(languages.findValuesAsText("name")).contains("Python (3.8.1)", "C (GCC 9.2.0)", "Java (OpenJDK 13.0.1)");
        JsonNode python = send("GET", "/judge0/languages/71", null, null).json();
        assertThat(python.path("source_file").asText()).isEqualTo("script.py");
        assertThat(send("GET", "/judge0/languages/9999", null, null).status()).isEqualTo(404);
        assertThat(send("GET", "/judge0/config_info", null, null).json().path("max_submission_batch_size").asInt()).isEqualTo(20);
        assertThat(send("GET", "/judge0/system_info", null, null).status()).isEqualTo(200);
    }

    // ---- number_of_runs ----

    @Test
    void numberOfRunsRunsThatManyTimesEachInItsOwnSandbox() {
        int before = history().size();
        // Each run sees a fresh sandbox: the file the previous run left is gone, so every run prints "fresh".
        String source = "import os\nprint('again' if os.path.exists('mark') else 'fresh')\nopen('mark', 'w').write('x')\n";
        JsonNode done = waitFor(submission(71, source, "number_of_runs", 3, "expected_output", "fresh"));
        assertThat(done.path("status").path("id").asInt()).as(done.toString()).isEqualTo(3);
        assertThat(done.path("stdout").asText()).isEqualTo("fresh\n");
        assertThat(done.path("time").asText()).matches("\\d+(\\.\\d{1,3})?");
        assertThat(done.path("memory").isIntegralNumber()).isTrue();
        List<JsonNode> runs = history();
        assertThat(runs.size() - before).isEqualTo(3);
        assertThat(runs.subList(0, 3)).allSatisfy(run -> assertThat(run.path("via").asText()).isEqualTo("judge0"));
        String token = done.path("token").asText();
        JsonNode all = send("GET", "/judge0/submissions/" + token + "?fields=number_of_runs,wall_time,exit_code", key, null).json();
        assertThat(all.path("number_of_runs").asInt()).isEqualTo(3);
        assertThat(all.path("wall_time").asText()).matches("\\d+(\\.\\d{1,3})?");
        assertThat(all.path("exit_code").asInt()).isZero();
    }

    @Test
    void numberOfRunsStopsAtTheFirstRunThatIsNotAccepted() {
        int before = history().size();
        JsonNode done = waitFor(submission(71, "print('a')", "number_of_runs", 4, "expected_output", "b"));
        assertThat(done.path("status").path("id").asInt()).isEqualTo(4);
        assertThat(history().size() - before).isEqualTo(1);
    }

    private List<JsonNode> history() {
        Response runs = send("GET", "/api/runs?limit=500", null, null, session);
        assertThat(runs.status()).as(runs.text()).isEqualTo(200);
        List<JsonNode> list = new java.util.ArrayList<>();
        runs.json().path("runs").forEach(list::add);
        return list;
    }

    // ---- the list, all languages, statistics ----

    @Test
    void listPagesTheKeysOwnSubmissionsNewestFirst() {
        Response made = send("POST", "/api/keys", null, Map.of("name", "lister", "scopes", List.of("run")), session);
        String lister = made.json().path("key").asText();
        List<String> tokens = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Response created = send("POST", "/judge0/submissions?wait=true", lister, submission(46, "echo " + i));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            tokens.add(0, created.json().path("token").asText());
        }
        Response first = send("GET", "/judge0/submissions?per_page=2&fields=token,stdout,status_id", lister, null);
        assertThat(first.status()).as(first.text()).isEqualTo(200);
        assertThat(first.json().fieldNames()).toIterable().containsExactly("submissions", "meta");
        assertThat(first.json().path("submissions").findValuesAsText("token")).containsExactly(tokens.get(0), tokens.get(1));
        assertThat(first.json().path("submissions").get(0).path("stdout").asText()).isEqualTo("2\n");
        Map<String, Object> firstMeta = new LinkedHashMap<>();
        firstMeta.put("current_page", 1);
        firstMeta.put("next_page", 2);
        firstMeta.put("prev_page", null);
        firstMeta.put("total_pages", 2);
        firstMeta.put("total_count", 3);
        assertThat(first.json().path("meta")).isEqualTo(MAPPER.valueToTree(firstMeta));
        JsonNode second = send("GET", "/judge0/submissions?per_page=2&page=2&base64_encoded=true", lister, null).json();
        assertThat(second.path("submissions").findValuesAsText("token")).containsExactly(tokens.get(2));
        assertThat(second.path("submissions").get(0).path("stdout").asText()).isEqualTo("MAo=\n");
        assertThat(second.path("meta").path("next_page").isNull()).isTrue();
        assertThat(second.path("meta").path("prev_page").asInt()).isEqualTo(1);
        Response badPage = send("GET", "/judge0/submissions?page=0", lister, null);
        assertThat(badPage.status()).isEqualTo(400);
        assertThat(badPage.json().path("error").asText()).isEqualTo("invalid page: 0");
        assertThat(send("GET", "/judge0/submissions?per_page=-1", lister, null).json().path("error").asText())
                .isEqualTo("invalid per_page: -1");
        Response keyless = send("GET", "/judge0/submissions", null, null);
        assertThat(keyless.status()).isEqualTo(403);
        assertThat(keyless.text()).isEmpty();
    }

    @Test
    void allLanguagesAndStatistics() {
        JsonNode all = send("GET", "/judge0/languages/all", null, null).json();
        assertThat(all.findValuesAsText("name")).contains("Python (3.8.1)").isSorted();
        assertThat(all.get(0).fieldNames()).toIterable().containsExactly("id", "name", "is_archived");
        String token = waitFor(submission(71, "print('counted')")).path("token").asText();
        assertThat(token).isNotEmpty();
        JsonNode statistics = send("GET", "/judge0/statistics?invalidate_cache=true", null, null).json();
        assertThat(statistics.fieldNames()).toIterable()
                .containsExactly("created_at", "cached_until", "submissions", "languages", "statuses", "database");
        assertThat(statistics.path("submissions").path("total").asLong()).isPositive();
        assertThat(statistics.path("submissions").path("today").asLong()).isPositive();
        assertThat(statistics.path("submissions").path("last_30_days").size()).isEqualTo(30);
        assertThat(statistics.path("languages").findValuesAsText("name")).contains("Python (3.8.1)");
        JsonNode accepted = null;
        for (JsonNode entry : statistics.path("statuses")) {
            if (entry.path("status").path("id").asInt() == 3) {
                accepted = entry;
            }
        }
        assertThat(accepted).isNotNull();
        assertThat(accepted.path("status").path("name").asText()).isEqualTo("Accepted");
        assertThat(accepted.path("count").asLong()).isPositive();
        assertThat(statistics.path("database").path("size_in_bytes").asLong()).isPositive();
        assertThat(statistics.path("database").path("size_pretty").asText()).matches("\\d+ (bytes|kB|MB|GB|TB)");
    }

    // ---- CLOUDRUN_JUDGE0_PATH and CLOUDRUN_JUDGE0_PORT ----

    @Test
    void anotherPathAndJudge0sOwnPort(@TempDir Path dataDir) {
        CloudRunServer both = startServer(dataDir, Map.of("CLOUDRUN_JUDGE0_PATH", "/compat/j0", "CLOUDRUN_JUDGE0_PORT", "0"));
        try {
            int own = both.judge0Port().orElseThrow();
            assertThat(own).isNotEqualTo(both.port());
            Response created = send(own, "POST", "/submissions?wait=true", null, submission(46, "echo at the root"), null);
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            String token = created.json().path("token").asText();
            Response onMain = send(both, "GET", "/compat/j0/submissions/" + token, null, null, null);
            assertThat(onMain.status()).as(onMain.text()).isEqualTo(200);
            assertThat(onMain.json().path("stdout").asText()).isEqualTo("at the root\n");
            assertThat(send(own, "GET", "/about", null, null, null).json().path("version").asText()).isEqualTo("1.13.1");
            assertThat(send(both, "GET", "/judge0/about", null, null, null).status()).isEqualTo(404);
            // The Judge0 port serves Judge0 only, behind the same edge: no CloudRun API, the same body limit.
            assertThat(send(own, "GET", "/api/health", null, null, null).status()).isEqualTo(404);
            Response huge = send(own, "POST", "/submissions", null, submission(71, "#".repeat(50 * 1024 * 1024)), null);
            assertThat(huge.status()).isEqualTo(413);
            assertThat(huge.json().path("error").asText()).startsWith("the request body is larger than ");
            Response hugeBatch = send(own, "POST", "/submissions/batch", null, Map.of("submissions",
                    List.of(submission(71, "#".repeat(10 * 1024 * 1024)))), null);
            assertThat(hugeBatch.status()).as("the batch path keeps its larger limit: %s", hugeBatch.text()).isEqualTo(422);
        } finally {
            both.close();
        }
    }
}
