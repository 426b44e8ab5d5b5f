package dev.cloudrun.server.compat.piston;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Piston facade against a real CloudRun server started in-process: the examples of Piston's
 * readme replayed, the unmodified {@code piston-client} npm package, the {@code /api/v2/connect}
 * protocol with a real WebSocket client, API keys and anonymous callers, and bad input answered
 * with Piston's messages with nothing run. Subclassed per sandbox backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PistonApiKit {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(90);
    static final int MAX_WS_MESSAGE_BYTES = 1024 * 1024;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    CloudRunServer server;
    String base;
    String session;
    String runKey;

    /** @return the sandbox backend this kit's server runs on */
    abstract String backend();

    record Answer(int status, JsonNode json, String text, HttpResponse<String> response) { }

    @BeforeAll
    void start(@TempDir Path dataDir) {
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend());
        settings.put("CLOUDRUN_COMPAT", "piston");
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_IP_CONCURRENT_RUNS", "8");
        settings.put("CLOUDRUN_GUEST_RUNS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_GUEST_CONCURRENT_RUNS", "4");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_WS_AUTH_TIMEOUT_SECONDS", "2");
        settings.put("CLOUDRUN_WS_MAX_MESSAGE_BYTES", String.valueOf(MAX_WS_MESSAGE_BYTES));
        server = CloudRunServer.create(ServerConfig.of(settings)).start();
        base = "http://127.0.0.1:" + server.port();
        Answer registered = post("/api/auth/register", null, Map.of("username", "pistonuser",
                "email", "piston@example.com", "password", "a long piston password"));
        assertThat(registered.status()).as(registered.text()).isEqualTo(201);
        session = registered.json().path("token").asText();
        Answer key = post("/api/keys", session, Map.of("name", "piston", "scopes", List.of("run")));
        assertThat(key.status()).as(key.text()).isEqualTo(201);
        runKey = key.json().path("key").asText();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    // ---- Piston's readme and docs/api-v2.md, replayed ----

    @Test
    void runtimes_lists_cloudruns_languages_with_pistons_names_aliases_and_semver_versions() {
        Answer answer = get("/api/v2/runtimes");

        assertThat(answer.status()).isEqualTo(200);
        Map<String, JsonNode> byLanguage = new LinkedHashMap<>();
        answer.json().forEach(runtime -> byLanguage.put(runtime.path("language").asText(), runtime));
        assertThat(byLanguage).containsKeys("python", "javascript", "c", "c++", "java", "bash").doesNotContainKey("html");
        byLanguage.values().forEach(runtime -> {
            assertThat(runtime.path("version").asText()).matches("\\d+\\.\\d+\\.\\d+");
            assertThat(runtime.path("aliases").isArray()).isTrue();
        });
        assertThat(aliases(byLanguage.get("python"))).contains("py", "python3");
        assertThat(aliases(byLanguage.get("javascript"))).contains("node-javascript", "node-js", "javascript", "js");
        assertThat(byLanguage.get("javascript").path("runtime").asText()).isEqualTo("node");
        assertThat(aliases(byLanguage.get("c++"))).contains("cpp").doesNotContain("c++");
        assertThat(aliases(byLanguage.get("bash"))).contains("sh");
        assertThat(byLanguage.get("python").has("runtime")).as("runtime only where Piston gives one").isFalse();
    }

    @Test
    void the_readmes_execute_example_runs_and_answers_pistons_shape() {
        String version = versionOf("javascript");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("language", "js");
        request.put("version", version);
        request.put("files", List.of(Map.of("name", "my_cool_code.js", "content", "console.log(process.argv)")));
        request.put("stdin", "");
        request.put("args", List.of("1", "2", "3"));
        request.put("compile_timeout", 10000);
        request.put("run_timeout", 3000);
        request.put("compile_cpu_time", 10000);
        request.put("run_cpu_time", 3000);
        request.put("compile_memory_limit", -1);
        request.put("run_memory_limit", -1);

        Answer answer = post("/api/v2/execute", null, request);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonNode body = answer.json();
        assertThat(body.path("language").asText()).isEqualTo("javascript");
        assertThat(body.path("version").asText()).isEqualTo(version);
        assertThat(body.has("compile")).isFalse();
        JsonNode run = body.path("run");
        assertThat(fieldNames(run)).containsExactlyInAnyOrder("stdout", "stderr", "output", "code", "signal", "message",
                "status", "cpu_time", "wall_time", "memory");
        assertThat(run.path("stdout").asText()).contains("my_cool_code.js").contains("'1'", "'2'", "'3'");
        assertThat(run.path("stderr").asText()).isEmpty();
        assertThat(run.path("output").asText()).isEqualTo(run.path("stdout").asText());
        assertThat(run.path("code").asInt()).isZero();
        assertThat(run.path("signal").isNull()).isTrue();
        assertThat(run.path("message").isNull()).isTrue();
        assertThat(run.path("status").isNull()).isTrue();
        assertThat(run.path("cpu_time").isNumber()).isTrue();
        assertThat(run.path("wall_time").isNumber()).isTrue();
        assertThat(run.path("memory").isNumber()).isTrue();
    }

    @Test
    void the_readmes_unknown_runtime_example_is_a_400_with_its_message() {
        Answer answer = post("/api/v2/execute", null, Map.of("language", "html", "version", "5.0.0",
                "files", List.of(Map.of("content", "<p>hi</p>"))));

        assertThat(answer.status()).isEqualTo(400);
        assertThat(answer.json()).isEqualTo(MAPPER.createObjectNode().put("message", "html-5.0.0 runtime is unknown"));
    }

    @Test
    void the_readmes_websocket_example_streams_stdin_to_stdout_and_ends_with_exit() {
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "init", "language", "bash", "version", "*", "files", List.of(Map.of("content", "cat"))));
            JsonNode runtime = ws.next(WAIT);
            assertThat(runtime.path("type").asText()).isEqualTo("runtime");
            assertThat(runtime.path("language").asText()).isEqualTo("bash");
            assertThat(runtime.path("version").asText()).isEqualTo(versionOf("bash"));
            assertThat(ws.next(WAIT)).isEqualTo(MAPPER.createObjectNode().put("type", "stage").put("stage", "run"));

            ws.send(Map.of("type", "data", "stream", "stdin", "data", "Hello World!"));
            JsonNode data = ws.next(WAIT);
            assertThat(data).isEqualTo(MAPPER.createObjectNode().put("type", "data").put("stream", "stdout").put("data", "Hello World!"));

            ws.send(Map.of("type", "signal", "signal", "SIGKILL"));
            PistonWs.Transcript rest = ws.untilClosed(WAIT);
            assertThat(rest.ofType("exit")).hasSize(1);
            JsonNode exit = rest.ofType("exit").get(0);
            assertThat(exit.path("stage").asText()).isEqualTo("run");
            assertThat(exit.path("code").isNull()).isTrue();
            assertThat(exit.path("signal").asText()).isEqualTo("SIGKILL");
            assertThat(rest.closeCode()).isEqualTo(PistonSocket.CLOSE_JOB_COMPLETED);
        }
    }

    // ---- execute ----

    @Test
    void c_has_a_compile_stage_and_a_run_stage() {
        Answer answer = execute("c", "*", "#include <stdio.h>\nint main(void) { printf(\"hi from c\\n\"); return 3; }\n");

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.json().path("language").asText()).isEqualTo("c");
        assertThat(answer.json().path("compile").path("code").asInt()).isZero();
        JsonNode run = answer.json().path("run");
        assertThat(run.path("stdout").asText()).isEqualTo("hi from c\n");
        assertThat(run.path("code").asInt()).isEqualTo(3);
        assertThat(run.path("status").asText()).isEqualTo("RE");
        assertThat(run.path("message").asText()).isEqualTo("Exited with error status 3");
    }

    @Test
    void a_compile_error_answers_the_compile_stage_and_repeats_it_as_run() {
        Answer answer = execute("c++", "*", "int main() { return 0 }\n");

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        JsonNode compile = answer.json().path("compile");
        assertThat(compile.path("code").asInt()).isEqualTo(1);
        assertThat(compile.path("stderr").asText()).contains("error");
        assertThat(compile.path("output").asText()).isEqualTo(compile.path("stderr").asText());
        assertThat(answer.json().path("run")).isEqualTo(compile);
    }

    @Test
    void stdin_args_and_extra_files_in_every_encoding_reach_the_program() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("language", "python3");
        request.put("version", "3.x");
        request.put("files", List.of(
                Map.of("name", "main.py", "content", "import sys\nprint(input(), sys.argv[1:], open('b.txt').read(), open('h.bin','rb').read())"),
                Map.of("name", "b.txt", "content", Base64.getEncoder().encodeToString("from base64".getBytes(StandardCharsets.UTF_8)),
                        "encoding", "base64"),
                Map.of("name", "h.bin", "content", HexFormat.of().formatHex(new byte[] {0, 1, (byte) 0xff}), "encoding", "hex")));
        request.put("stdin", "typed");
        request.put("args", List.of("a b", "c"));

        Answer answer = post("/api/v2/execute", null, request);

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        assertThat(answer.json().path("run").path("stdout").asText())
                .isEqualTo("typed ['a b', 'c'] from base64 b'\\x00\\x01\\xff'\n");
    }

    @Test
    void stdout_and_stderr_are_both_in_output() {
        Answer answer = execute("python", "*", "import sys\nprint('out')\nsys.stdout.flush()\nprint('err', file=sys.stderr)\nsys.exit(2)");

        JsonNode run = answer.json().path("run");
        assertThat(run.path("stdout").asText()).isEqualTo("out\n");
        assertThat(run.path("stderr").asText()).isEqualTo("err\n");
        // Interleaved as the two pipes delivered them; across pipes the order is not guaranteed.
        assertThat(run.path("output").asText().split("(?<=\n)")).containsExactlyInAnyOrder("out\n", "err\n");
        assertThat(run.path("code").asInt()).isEqualTo(2);
    }

    @Test
    void a_program_over_its_run_timeout_is_killed_with_status_to() {
        Map<String, Object> request = job("python", "*", "import time\ntime.sleep(30)");
        request.put("run_timeout", 500);

        JsonNode run = post("/api/v2/execute", null, request).json().path("run");

        assertThat(run.path("status").asText()).isEqualTo("TO");
        assertThat(run.path("signal").asText()).isEqualTo("SIGKILL");
        assertThat(run.path("code").isNull()).isTrue();
    }

    @Test
    void version_selectors_match_as_in_piston() {
        String version = versionOf("python");
        String major = version.substring(0, version.indexOf('.'));
        for (String selector : List.of("*", version, major, major + ".x", "^" + major, "~" + version, ">=" + major + " <" + (Integer.parseInt(major) + 1),
                "<1 || >=" + major, major + ".0 - " + (Integer.parseInt(major) + 1))) {
            Answer answer = execute("py", selector, "print(1)");
            assertThat(answer.status()).as(selector + ": " + answer.text()).isEqualTo(200);
            assertThat(answer.json().path("version").asText()).isEqualTo(version);
        }
        for (String selector : List.of("2.x", "<" + major, "latest", ">" + version)) {
            Answer answer = execute("py", selector, "print(1)");
            assertThat(answer.status()).as(selector).isEqualTo(400);
            assertThat(answer.json().path("message").asText()).isEqualTo("py-" + selector + " runtime is unknown");
        }
    }

    // ---- callers ----

    @Test
    void a_run_key_runs_as_its_user_and_the_run_is_in_the_users_history() {
        int before = history().size();
        Answer answer = post("/api/v2/execute", runKey, job("python", "*", "print('keyed')"));

        assertThat(answer.status()).as(answer.text()).isEqualTo(200);
        List<JsonNode> runs = history();
        assertThat(runs).hasSize(before + 1);
        assertThat(runs.get(0).path("via").asText()).isEqualTo("piston");
    }

    @Test
    void the_public_pistons_paths_and_its_bots_bare_authorization_header_work_too() {
        int before = history().size();
        Answer runtimes = get("/api/v2/piston/runtimes");
        Answer executed = send(request("/api/v2/piston/execute", null).header("Authorization", runKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(PistonWs.write(job("python", "*", "print('bot')")))));

        assertThat(runtimes.json()).isEqualTo(get("/api/v2/runtimes").json());
        assertThat(executed.status()).as(executed.text()).isEqualTo(200);
        assertThat(executed.json().path("run").path("stdout").asText()).isEqualTo("bot\n");
        assertThat(history()).as("ran as the key's user").hasSize(before + 1);
    }

    @Test
    void a_key_without_the_run_scope_is_refused_with_403() {
        Answer key = post("/api/keys", session, Map.of("name", "grading only", "scopes", List.of("grade")));
        Answer answer = post("/api/v2/execute", key.json().path("key").asText(), job("python", "*", "print(1)"));

        assertThat(answer.status()).isEqualTo(403);
        assertThat(answer.json().path("message").asText()).contains("scope run");
    }

    @Test
    void a_wrong_key_is_refused_with_401_in_pistons_shape_and_nothing_runs() {
        Answer answer = post("/api/v2/execute", "cr_not_a_real_key_0000000000000000", job("python", "*", "print(1)"));

        assertThat(answer.status()).isEqualTo(401);
        assertThat(answer.json().path("message").asText()).contains("API key");
    }

    // ---- bad input: Piston's messages, nothing runs ----

    @Test
    void bad_requests_get_pistons_messages_and_run_nothing() {
        int before = history().size();
        long ceilingMs = 60_000;
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {Map.of("version", "*", "files", List.of(Map.of("content", "x"))), "language is required as a string"});
        cases.add(new Object[] {Map.of("language", 3, "version", "*", "files", List.of()), "language is required as a string"});
        cases.add(new Object[] {Map.of("language", "python", "files", List.of(Map.of("content", "x"))), "version is required as a string"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*"), "files is required as an array"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", "print(1)"), "files is required as an array"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", List.of(Map.of("name", "a.py"))),
            "files[0].content is required as a string"});
        cases.add(new Object[] {Map.of("language", "cobol", "version", "*", "files", List.of(Map.of("content", "x"))),
            "cobol-* runtime is unknown"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", List.of()),
            "files must include at least one utf8 encoded file"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*",
            "files", List.of(Map.of("content", "AAAA", "encoding", "base64"))), "files must include at least one utf8 encoded file"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "run_timeout", "3000"), "If specified, run_timeout must be a number"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "compile_memory_limit", List.of(1)),
            "If specified, compile_memory_limit must be a number"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "run_cpu_time", true), "If specified, run_cpu_time must be a number"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "run_timeout", ceilingMs + 1),
            "run_timeout cannot exceed the configured limit of " + ceilingMs});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "run_memory_limit", 1024L * 1024 * 1024 + 1),
            "run_memory_limit cannot exceed the configured limit of " + 1024L * 1024 * 1024});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "run_timeout", -5), "run_timeout must be non-negative"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "args", "1 2 3"), "args must be an array of strings"});
        cases.add(new Object[] {with(job("python", "*", "print(1)"), "stdin", 5), "stdin must be a string"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", List.of(Map.of("content", "print(1)"),
            Map.of("name", "d", "content", "not base64!!", "encoding", "base64"))), "files[1].content is not valid base64"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", List.of(Map.of("content", "print(1)"),
            Map.of("name", "d", "content", "abc", "encoding", "hex"))), "files[1].content is not valid hex"});
        cases.add(new Object[] {Map.of("language", "python", "version", "*", "files", List.of(Map.of("content", "print(1)"),
            Map.of("name", "d", "content", "zz", "encoding", "hex"))), "files[1].content is not valid hex"});
        for (Object[] badCase : cases) {
            Answer answer = post("/api/v2/execute", runKey, badCase[0]);
            assertThat(answer.status()).as(String.valueOf(badCase[0])).isEqualTo(400);
            assertThat(answer.json()).as(String.valueOf(badCase[0]))
                    .isEqualTo(MAPPER.createObjectNode().put("message", (String) badCase[1]));
        }
        assertThat(history()).as("nothing ran").hasSize(before);
    }

    @Test
    void a_body_that_is_not_json_or_not_typed_json_is_refused() {
        int before = history().size();
        Answer broken = send(request("/api/v2/execute", runKey).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"language\": ")));
        assertThat(broken.status()).isEqualTo(400);
        assertThat(broken.json().path("message").asText()).isEqualTo("the request body is not valid JSON");

        Answer xml = send(request("/api/v2/execute", runKey).header("Content-Type", "application/xml")
                .POST(HttpRequest.BodyPublishers.ofString(PistonWs.write(job("python", "*", "print(1)")))));
        assertThat(xml.status()).isEqualTo(415);
        assertThat(xml.json().path("message").asText()).isEqualTo("requests must be of type application/json");
        assertThat(history()).hasSize(before);
    }

    @Test
    void a_50_mb_source_is_refused_before_anything_runs() {
        int before = history().size();
        Answer answer = post("/api/v2/execute", runKey, job("python", "*", "#" + "x".repeat(50 * 1024 * 1024)));

        assertThat(answer.status()).isEqualTo(413);
        assertThat(history()).hasSize(before);
    }

    // ---- the unmodified piston-client npm package ----

    @Test
    void the_piston_client_npm_package_lists_runtimes_and_runs_python_c_stdin_and_a_compile_error() throws Exception {
        Path client = installPistonClient();
        Process node = new ProcessBuilder("node", "drive.mjs", base).directory(client.toFile()).redirectErrorStream(false).start();
        String stdout = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String stderr = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(node.exitValue()).as(stderr).isZero();
        JsonNode answers = MAPPER.readTree(stdout);

        assertThat(answers.path("runtimes").isArray()).isTrue();
        assertThat(answers.path("runtimes").findValuesAsText("language")).contains("python", "c", "c++", "javascript");
        JsonNode python = answers.path("python");
        assertThat(python.path("language").asText()).isEqualTo("python");
        assertThat(python.path("run").path("stdout").asText()).isEqualTo("Hello World!\n");
        assertThat(python.path("run").path("code").asInt()).isZero();
        assertThat(answers.path("c").path("run").path("output").asText()).isEqualTo("Hello from C\n");
        assertThat(answers.path("c").path("compile").path("code").asInt()).isZero();
        assertThat(answers.path("stdin").path("run").path("stdout").asText()).isEqualTo("hello world\n");
        assertThat(answers.path("args").path("run").path("stdout").asText()).isEqualTo("['1', '2', '3']\n");
        JsonNode compileError = answers.path("compileError");
        assertThat(compileError.path("compile").path("code").asInt()).isEqualTo(1);
        assertThat(compileError.path("compile").path("stderr").asText()).contains("error");
        assertThat(compileError.path("run").path("code").asInt()).isEqualTo(1);
    }

    /** npm ci of the locked piston-client into target/, once per build; the registry is needed only then. */
    static Path installPistonClient() throws IOException, InterruptedException {
        Path source = Path.of("src/test/piston-client");
        Path target = Path.of("target/piston-client");
        Files.createDirectories(target);
        for (String file : List.of("package.json", "package-lock.json", "drive.mjs")) {
            Files.copy(source.resolve(file), target.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.exists(target.resolve("node_modules/piston-client/package.json"))) {
            Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
                    .directory(target.toFile()).redirectErrorStream(true).start();
            String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(npm.waitFor(5, TimeUnit.MINUTES)).isTrue();
            assertThat(npm.exitValue()).as(log).isZero();
        }
        return target;
    }

    // ---- the WebSocket ----

    @Test
    void an_interactive_python_program_echoes_stdin_and_exits_with_its_code() {
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "init", "language", "python", "version", "*",
                    "files", List.of(Map.of("content", "name = input()\nprint('hello ' + name)\nraise SystemExit(4)"))));
            assertThat(ws.untilType("stage", WAIT).get(0).path("type").asText()).isEqualTo("runtime");
            ws.send(Map.of("type", "data", "stream", "stdin", "data", "ada\n"));

            PistonWs.Transcript rest = ws.untilClosed(WAIT);

            assertThat(rest.stdout()).isEqualTo("hello ada\n");
            assertThat(rest.ofType("exit")).hasSize(1);
            assertThat(rest.ofType("exit").get(0)).isEqualTo(MAPPER.createObjectNode().put("type", "exit").put("stage", "run")
                    .put("code", 4).putNull("signal"));
            assertThat(rest.closeCode()).isEqualTo(PistonSocket.CLOSE_JOB_COMPLETED);
        }
    }

    @Test
    void a_compiled_language_goes_through_the_compile_and_run_stages() {
        int before = history().size();
        try (PistonWs ws = PistonWs.open(wsUrl(), "Bearer " + runKey)) {
            ws.send(Map.of("type", "init", "language", "cpp", "version", "*",
                    "files", List.of(Map.of("content", "#include <iostream>\nint main() { std::cout << \"compiled\" << std::endl; }\n"))));

            PistonWs.Transcript transcript = ws.untilClosed(WAIT);

            List<String> shape = transcript.messages().stream().filter(message -> !message.path("type").asText().equals("data"))
                    .map(message -> message.path("type").asText() + ":" + message.path("stage").asText(""))
                    .toList();
            assertThat(shape).containsExactly("runtime:", "stage:compile", "exit:compile", "stage:run", "exit:run");
            assertThat(transcript.messages().get(0).path("language").asText()).isEqualTo("c++");
            assertThat(transcript.stdout()).isEqualTo("compiled\n");
            assertThat(transcript.ofType("exit").get(0).path("code").asInt()).isZero();
            assertThat(transcript.ofType("exit").get(1).path("code").asInt()).isZero();
            assertThat(transcript.closeCode()).isEqualTo(PistonSocket.CLOSE_JOB_COMPLETED);
        }
        assertThat(history()).as("the key given at the upgrade ran the job as its user").hasSize(before + 1);
    }

    @Test
    void a_websocket_compile_error_ends_in_the_compile_stage() {
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "init", "language", "c", "version", "*", "files", List.of(Map.of("content", "int main( {"))));

            PistonWs.Transcript transcript = ws.untilClosed(WAIT);

            assertThat(transcript.ofType("exit")).hasSize(1);
            assertThat(transcript.ofType("exit").get(0).path("stage").asText()).isEqualTo("compile");
            assertThat(transcript.ofType("exit").get(0).path("code").asInt()).isEqualTo(1);
            assertThat(transcript.ofType("stage").stream().map(stage -> stage.path("stage").asText())).containsExactly("compile");
            assertThat(transcript.closeCode()).isEqualTo(PistonSocket.CLOSE_JOB_COMPLETED);
        }
    }

    @Test
    void the_websocket_closes_with_pistons_codes() {
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "data", "stream", "stdin", "data", "early"));
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_NOT_INITIALIZED);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "signal", "signal", "SIGKILL"));
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_NOT_INITIALIZED);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(Map.of("type", "init", "language", "cobol", "version", "*", "files", List.of(Map.of("content", "x"))));
            PistonWs.Transcript transcript = ws.untilClosed(WAIT);
            assertThat(transcript.messages()).containsExactly(MAPPER.createObjectNode().put("type", "error")
                    .put("message", "cobol-* runtime is unknown"));
            assertThat(transcript.closeCode()).isEqualTo(PistonSocket.CLOSE_NOTIFIED_ERROR);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.sendText("{not json");
            PistonWs.Transcript transcript = ws.untilClosed(WAIT);
            assertThat(transcript.ofType("error")).hasSize(1);
            assertThat(transcript.closeCode()).isEqualTo(PistonSocket.CLOSE_NOTIFIED_ERROR);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            assertThat(ws.untilClosed(WAIT).closeCode()).as("no init in time").isEqualTo(PistonSocket.CLOSE_INIT_TIMEOUT);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.sendText("{\"type\":\"init\",\"pad\":\"" + "x".repeat(MAX_WS_MESSAGE_BYTES) + "\"}");
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_TOO_BIG);
        }
        Map<String, Object> cat = Map.of("type", "init", "language", "bash", "version", "*", "files", List.of(Map.of("content", "cat")));
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(cat);
            ws.untilType("stage", WAIT);
            ws.send(Map.of("type", "data", "stream", "stdout", "data", "x"));
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_ONLY_STDIN);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(cat);
            ws.untilType("stage", WAIT);
            ws.send(Map.of("type", "signal", "signal", "SIGNOPE"));
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_INVALID_SIGNAL);
        }
        try (PistonWs ws = PistonWs.open(wsUrl())) {
            ws.send(cat);
            ws.untilType("stage", WAIT);
            ws.send(cat);
            assertThat(ws.untilClosed(WAIT).closeCode()).isEqualTo(PistonSocket.CLOSE_ALREADY_INITIALIZED);
        }
    }

    @Test
    void a_websocket_with_a_wrong_key_is_refused_at_the_upgrade() {
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() ->
                PistonWs.open(wsUrl(), "Bearer cr_wrong_key_000000000000000000"));
        while (failure != null && !(failure instanceof java.net.http.WebSocketHandshakeException)) {
            failure = failure.getCause();
        }
        assertThat(failure).as("the upgrade is refused").isNotNull();
        assertThat(((java.net.http.WebSocketHandshakeException) failure).getResponse().statusCode()).isEqualTo(401);
    }

    // ---- helpers ----

    String wsUrl() {
        return "ws://127.0.0.1:" + server.port() + "/api/v2/connect";
    }

    String versionOf(String language) {
        for (JsonNode runtime : get("/api/v2/runtimes").json()) {
            if (runtime.path("language").asText().equals(language)) {
                return runtime.path("version").asText();
            }
        }
        throw new AssertionError("no runtime " + language);
    }

    static List<String> aliases(JsonNode runtime) {
        List<String> aliases = new ArrayList<>();
        runtime.path("aliases").forEach(alias -> aliases.add(alias.asText()));
        return aliases;
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static Map<String, Object> job(String language, String version, String source) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("language", language);
        request.put("version", version);
        request.put("files", List.of(Map.of("content", source)));
        return request;
    }

    static Map<String, Object> with(Map<String, Object> request, String field, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(request);
        copy.put(field, value);
        return copy;
    }

    Answer execute(String language, String version, String source) {
        return post("/api/v2/execute", null, job(language, version, source));
    }

    List<JsonNode> history() {
        List<JsonNode> runs = new ArrayList<>();
        send(request("/api/runs?limit=500", session).GET()).json().path("runs").forEach(runs::add);
        return runs;
    }

    Answer get(String path) {
        return send(request(path, null).GET());
    }

    Answer post(String path, String token, Object json) {
        return send(request(path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(PistonWs.write(json))));
    }

    HttpRequest.Builder request(String path, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(3));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    Answer send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = MAPPER.readTree(response.body());
            } catch (IOException e) {
                // Not JSON: the text is kept for the assertion messages.
            }
            return new Answer(response.statusCode(), json, response.body(), response);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
