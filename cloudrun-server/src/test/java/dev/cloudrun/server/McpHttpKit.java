package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.config.ServerConfig;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code /mcp} on a real server (real sandboxes, real programs), written once and run on each
 * database and backend (see the subclasses): the MCP Java SDK's own client over its streamable HTTP transport
 * with an API key, as an agent connects, and the JDK's HTTP client for what that client does not
 * do (cancelling, forged headers, oversize bodies).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class McpHttpKit {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ACCEPT = "application/json, text/event-stream";

    private final List<CloudRunServer> servers = new ArrayList<>();
    private final List<McpSyncClient> clients = new ArrayList<>();
    private final List<Path> dataDirs = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    CloudRunServer server;
    private ApiClient api;

    /** @return the settings that choose this kit's database for one more server */
    abstract Map<String, String> databaseSettings();

    /** Called once every server has stopped: drop what {@link #databaseSettings()} made. */
    void serversStopped() { }

    /** @return the sandbox backend ({@code CLOUDRUN_BACKEND}); local unless a subclass says otherwise */
    String backend() {
        return "local";
    }

    /** A backend's own leak check after the servers stopped (the local backend's processes are checked as well). */
    void assertNothingLeftInTheBackend() {
    }

    private CloudRunServer startServer(Map<String, String> extra) {
        try {
            Path dataDir = Files.createTempDirectory("cloudrun-mcp-http");
            dataDirs.add(dataDir);
            Map<String, String> settings = new HashMap<>(databaseSettings());
            settings.put("CLOUDRUN_PORT", "0");
            settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
            settings.put("CLOUDRUN_BACKEND", backend());
            settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
            settings.put("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000");
            settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "1000");
            settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "1000");
            settings.putAll(extra);
            CloudRunServer started = CloudRunServer.create(ServerConfig.of(settings)).start();
            servers.add(started);
            return started;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @BeforeAll
    void start() {
        server = startServer(Map.of());
        api = new ApiClient(base(server));
        // The kit's backend, not a fallback to another one.
        assertThat(api.get("/api/health", null).json().path("sandbox").path("backend").asText()).isEqualTo(backend());
    }

    @AfterEach
    void closeClients() {
        clients.forEach(McpSyncClient::closeGracefully);
        clients.clear();
    }

    @AfterAll
    void stop() throws IOException {
        servers.forEach(CloudRunServer::stop);
        serversStopped();
        ServerTestKit.assertNoSandboxProcessesLeft();
        assertNothingLeftInTheBackend();
        for (Path dir : dataDirs) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static String base(CloudRunServer target) {
        return "http://127.0.0.1:" + target.port();
    }

    private static String register(ApiClient client) {
        String username = "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ApiClient.Response response = client.post("/api/auth/register", null,
                Map.of("username", username, "email", username + "@example.com", "password", "correct horse battery"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private static String key(ApiClient client, String session, List<String> scopes) {
        ApiClient.Response response = client.post("/api/keys", session, Map.of("name", "agent", "scopes", scopes));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("key").asText();
    }

    String runKey() {
        return key(api, register(api), List.of("run"));
    }

    /** A user's session token (for {@code GET /api/runs}) and an API key of theirs with scope run. */
    record Account(String token, String key) { }

    Account account() {
        String token = register(api);
        return new Account(token, key(api, token, List.of("run")));
    }

    /** @return the user's run history, newest first */
    JsonNode history(String token) {
        ApiClient.Response response = api.get("/api/runs", token);
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        return response.json().path("runs");
    }

    McpSyncClient connect(CloudRunServer target, String apiKey, List<McpSchema.ProgressNotification> progress) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(base(target))
                .endpoint("/mcp")
                .jsonMapper(new JacksonMcpJsonMapper(new ObjectMapper()))
                .httpRequestCustomizer((builder, method, uri, body, context) ->
                        builder.header("Authorization", "Bearer " + apiKey))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60))
                .progressConsumer(progress::add).build();
        clients.add(client);
        client.initialize();
        return client;
    }

    static McpSchema.CallToolResult call(McpSyncClient client, String tool, Map<String, Object> arguments) {
        return client.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(arguments).build());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(McpSchema.CallToolResult result) {
        assertThat(result.isError()).as("%s", result.content()).isNotEqualTo(Boolean.TRUE);
        return (Map<String, Object>) result.structuredContent();
    }

    private static String text(McpSchema.CallToolResult result) {
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    @Test
    void an_agent_with_a_run_key_lists_the_tools_and_runs_python_with_progress() {
        List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
        McpSyncClient client = connect(server, runKey(), progress);
        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name)
                .contains("run_code", "list_languages", "create_session", "write_file", "read_file", "run_in_session",
                        "close_session");

        McpSchema.CallToolResult result = client.callTool(McpSchema.CallToolRequest.builder().name("run_code")
                .arguments(Map.of("language", "python", "source", "print('hello over http')"))
                .progressToken("p1").build());
        Map<String, Object> answer = structured(result);
        assertThat(answer.get("status")).isEqualTo("OK");
        assertThat(answer.get("stdout")).isEqualTo("hello over http\n");
        // Output comes as it is written, in chunks, between the phases; the client may see them out of order, the
        // progress count says the server's order.
        List<String> messages = progress.stream()
                .sorted(java.util.Comparator.comparingDouble(McpSchema.ProgressNotification::progress))
                .map(McpSchema.ProgressNotification::message).toList();
        assertThat(messages).startsWith("queued", "running").endsWith("finished");
        assertThat(String.join("", messages)).isEqualTo("queuedrunninghello over http\nfinished");
        assertThat(progress).extracting(McpSchema.ProgressNotification::progressToken).containsOnly("p1");
    }

    @Test
    void a_session_keeps_its_files_between_calls_and_belongs_to_the_keys_user() {
        String session = register(api);
        McpSyncClient client = connect(server, key(api, session, List.of("run")), new ArrayList<>());
        String id = (String) structured(call(client, "create_session", Map.of("language", "python"))).get("session_id");
        structured(call(client, "write_file", Map.of("session_id", id, "path", "data.txt", "content", "41")));
        Map<String, Object> run = structured(call(client, "run_in_session", Map.of("session_id", id,
                "source", "n = int(open('data.txt').read())\nopen('answer.txt', 'w').write(str(n + 1))\nprint('done')")));
        assertThat(run.get("status")).isEqualTo("OK");
        assertThat(run.get("stdout")).isEqualTo("done\n");
        assertThat(structured(call(client, "read_file", Map.of("session_id", id, "path", "answer.txt"))).get("text"))
                .isEqualTo("42");

        // Another key of the same user, on another MCP connection, reaches the session.
        McpSyncClient sameUser = connect(server, key(api, session, List.of("run")), new ArrayList<>());
        assertThat(structured(call(sameUser, "read_file", Map.of("session_id", id, "path", "answer.txt"))).get("text"))
                .isEqualTo("42");

        // Another user's key does not.
        McpSyncClient intruder = connect(server, runKey(), new ArrayList<>());
        McpSchema.CallToolResult refused = call(intruder, "read_file", Map.of("session_id", id, "path", "answer.txt"));
        assertThat(refused.isError()).isTrue();
        assertThat(text(refused)).contains("session_id").contains("another client");
        McpSchema.CallToolResult refusedRun = call(intruder, "run_in_session", Map.of("session_id", id,
                "source", "print(open('answer.txt').read())"));
        assertThat(refusedRun.isError()).isTrue();
        assertThat(structured(call(client, "close_session", Map.of("session_id", id)))).isNotNull();
        // One left open: stopping the server closes it (stop() checks that no sandbox process is left).
        structured(call(client, "create_session", Map.of("language", "python")));
    }

    @Test
    void the_agents_runs_enter_the_users_run_history_with_via_mcp() {
        Account account = account();
        McpSyncClient client = connect(server, account.key(), new ArrayList<>());
        Map<String, Object> once = structured(call(client, "run_code", Map.of("language", "python",
                "source", "print('from an agent')")));
        String id = (String) structured(call(client, "create_session", Map.of("language", "python"))).get("session_id");
        structured(call(client, "write_file", Map.of("session_id", id, "path", "tool.py",
                "content", "print('in the session')\nraise SystemExit(3)")));
        Map<String, Object> inSession = structured(call(client, "run_in_session", Map.of("session_id", id,
                "main_file", "tool.py")));
        assertThat(inSession.get("exit_code")).isEqualTo(3);
        Map<String, Object> cell = structured(call(client, "run_in_session", Map.of("session_id", id,
                "source", "41 + 1", "stateful", true)));
        assertThat(cell.get("value")).isEqualTo("42");
        ApiClient.Response viaRest = api.post("/api/runs", account.key(), Map.of("language", "python", "source", "print(2)"));
        assertThat(viaRest.status()).as(viaRest.text()).isEqualTo(200);

        // Newest first, with the user's other runs.
        JsonNode runs = history(account.token());
        assertThat(runs).extracting(run -> run.path("via").asText()).containsExactly("api", "mcp", "mcp", "mcp");
        JsonNode cellRun = runs.get(1);
        assertThat(cellRun.path("status").asText()).isEqualTo(cell.get("status"));
        assertThat(cellRun.path("language").asText()).isEqualTo("python");
        JsonNode sessionRun = runs.get(2);
        assertThat(sessionRun.path("status").asText()).isEqualTo(inSession.get("status"));
        assertThat(sessionRun.path("exitCode").asInt()).isEqualTo(3);
        assertThat(sessionRun.path("entryPath").asText()).isEqualTo("tool.py");
        assertThat(sessionRun.path("stdoutBytes").asLong()).isEqualTo("in the session\n".length());
        JsonNode onceRun = runs.get(3);
        assertThat(onceRun.path("status").asText()).isEqualTo(once.get("status")).isEqualTo("OK");
        assertThat(onceRun.path("exitCode").asInt()).isZero();
        assertThat(onceRun.path("stdoutBytes").asLong()).isEqualTo("from an agent\n".length());
        assertThat(onceRun.path("finishedAtMillis").asLong()).isGreaterThanOrEqualTo(onceRun.path("startedAtMillis").asLong());
        // One run, one record: GET /api/runs/{id} finds it, and another user sees none of them.
        assertThat(api.get("/api/runs/" + onceRun.path("id").asText(), account.token()).json().path("via").asText())
                .isEqualTo("mcp");
        // The agent got the output in the answer: the history keeps none.
        assertThat(api.get("/api/runs/" + onceRun.path("id").asText() + "/output", account.token()).json()
                .path("kept").asBoolean()).isFalse();
        assertThat(history(register(api))).isEmpty();
        structured(call(client, "close_session", Map.of("session_id", id)));
    }

    // ---- the gate, with the JDK's HTTP client ----

    private HttpResponse<String> post(CloudRunServer target, Map<String, String> headers, Object message) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base(target) + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofString(write(message)));
        headers.forEach(request::header);
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String write(Object message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, Object> initializeMessage() {
        return Map.of("jsonrpc", "2.0", "id", 1, "method", "initialize", "params", Map.of("protocolVersion", "2025-06-18",
                "capabilities", Map.of(), "clientInfo", Map.of("name", "raw", "version", "1")));
    }

    private static Map<String, String> bearer(String token) {
        return Map.of("Authorization", "Bearer " + token);
    }

    /** Initializes a session by hand; returns its Mcp-Session-Id. */
    private String rawSession(CloudRunServer target, String apiKey) {
        HttpResponse<String> init = post(target, bearer(apiKey), initializeMessage());
        assertThat(init.statusCode()).as(init.body()).isEqualTo(200);
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        Map<String, String> headers = Map.of("Authorization", "Bearer " + apiKey, "Mcp-Session-Id", session);
        HttpResponse<String> initialized = post(target, headers, Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        assertThat(initialized.statusCode()).as(initialized.body()).isEqualTo(202);
        return session;
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        try {
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("error").path("code").asText()).as(response.body()).isEqualTo(code);
            assertThat(body.path("error").path("message").asText()).isNotBlank();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    @Test
    void without_a_valid_run_key_nothing_reaches_the_sdk() {
        String session = register(api);
        assertError(post(server, Map.of(), initializeMessage()), 401, "unauthorized");
        assertError(post(server, bearer("cr_nonsense_AAAA"), initializeMessage()), 401, "unauthorized");
        String key = key(api, session, List.of("run"));
        assertError(post(server, bearer(key.substring(0, key.length() - 1) + (key.endsWith("A") ? "B" : "A")),
                initializeMessage()), 401, "unauthorized");
        // A session token is not an API key.
        assertError(post(server, bearer(session), initializeMessage()), 401, "unauthorized");
        assertError(post(server, bearer(key(api, session, List.of("grade"))), initializeMessage()), 403, "scope_missing");
        assertThat(post(server, bearer(key), initializeMessage()).statusCode()).isEqualTo(200);
    }

    @Test
    void a_foreign_origin_is_refused() {
        Map<String, String> headers = new HashMap<>(bearer(runKey()));
        headers.put("Origin", "https://evil.example");
        assertError(post(server, headers, initializeMessage()), 403, "origin_not_allowed");
    }

    @Test
    void another_users_mcp_session_id_is_not_found() {
        String session = rawSession(server, runKey());
        Map<String, String> headers = Map.of("Authorization", "Bearer " + runKey(), "Mcp-Session-Id", session);
        assertError(post(server, headers, Map.of("jsonrpc", "2.0", "id", 2, "method", "tools/list")), 404,
                "session_not_found");
    }

    @Test
    void an_oversize_body_is_refused_before_it_is_read() throws IOException {
        String key = runKey();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            // A gigabyte declared, a kilobyte sent (Jetty dispatches a request once some of its body is there): a
            // server that read the body would wait for the rest until the timeout.
            out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nAccept: " + ACCEPT
                    + "\r\nContent-Length: 1000000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"run_code\","
                    + "\"arguments\":{\"language\":\"python\",\"source\":\"" + "#".repeat(1024)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 413");
        }
        // A body without a declared length is cut at the same limit.
        HttpRequest chunked = HttpRequest.newBuilder(URI.create(base(server) + "/mcp"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json").header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new InputStream() {
                    private long left = 200L * 1024 * 1024;

                    @Override
                    public int read() {
                        return left-- > 0 ? ' ' : -1;
                    }

                    @Override
                    public int read(byte[] buffer, int offset, int length) {
                        if (left <= 0) {
                            return -1;
                        }
                        int n = (int) Math.min(length, left);
                        java.util.Arrays.fill(buffer, offset, offset + n, (byte) ' ');
                        left -= n;
                        return n;
                    }
                })).build();
        try {
            HttpResponse<String> response = http.send(chunked, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(413);
        } catch (IOException e) {
            // The server may drop the connection while the client still sends: that is a refusal too.
            assertThat(e.getMessage()).isNotNull();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a program that prints "started" then sleeps 40 s; returns the answer's lines once "started" came. */
    private Iterator<String> startLongRun(CloudRunServer target, String key, String session, int id) throws Exception {
        Map<String, Object> call = Map.of("jsonrpc", "2.0", "id", id, "method", "tools/call", "params", Map.of(
                "name", "run_code", "_meta", Map.of("progressToken", "long-" + id),
                "arguments", Map.of("language", "python", "source",
                        "import time\nprint('started', flush=True)\ntime.sleep(40)\nprint('not cancelled')",
                        "limits", Map.of("wall_time_seconds", 50))));
        HttpRequest request = HttpRequest.newBuilder(URI.create(base(target) + "/mcp"))
                .header("Authorization", "Bearer " + key).header("Mcp-Session-Id", session)
                .header("Content-Type", "application/json").header("Accept", ACCEPT)
                .POST(HttpRequest.BodyPublishers.ofString(write(call))).build();
        HttpResponse<Stream<String>> stream = http.send(request, HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        Iterator<String> lines = stream.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.contains("notifications/progress") && line.contains("started")) {
                return lines;
            }
        }
        throw new AssertionError("no progress notification with the program's first line");
    }

    private HttpResponse<String> cancel(CloudRunServer target, String key, String session, int id) {
        return post(target, Map.of("Authorization", "Bearer " + key, "Mcp-Session-Id", session),
                Map.of("jsonrpc", "2.0", "method", "notifications/cancelled", "params", Map.of("requestId", id,
                        "reason", "the user pressed stop")));
    }

    /** @return the answer's data line, read on another thread so that a hang fails the wait instead */
    private static CompletableFuture<String> resultOf(Iterator<String> lines) {
        CompletableFuture<String> result = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.startsWith("data:") && line.contains("\"result\"")) {
                    result.complete(line);
                    return;
                }
            }
            result.complete("(stream ended)");
        });
        reader.setDaemon(true);
        reader.start();
        return result;
    }

    @Test
    void a_cancelled_call_stops_its_run() throws Exception {
        String key = runKey();
        String session = rawSession(server, key);
        Iterator<String> lines = startLongRun(server, key, session, 7);
        assertThat(cancel(server, key, session, 7).statusCode()).isEqualTo(202);
        // Well before the 40 s the program would sleep.
        String answer = resultOf(lines).get(20, TimeUnit.SECONDS);
        assertThat(answer).contains("CANCELLED").doesNotContain("not cancelled");
    }

    /** @return how many live processes of this host have this in their command line (sandboxes' included) */
    static long liveProcesses(String commandLinePart) {
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains(commandLinePart)).count();
    }

    /**
     * Posts, on a socket of its own, a {@code tools/call} whose program prints "started" then runs
     * {@code sleep MARKER} (a process the test can see); returns once "started" came, the socket still open.
     */
    private Socket startSilentCall(CloudRunServer target, String key, String session, String tool,
                                   Map<String, Object> arguments, String marker) throws IOException {
        Map<String, Object> call = Map.of("jsonrpc", "2.0", "id", 40, "method", "tools/call", "params", Map.of(
                "name", tool, "_meta", Map.of("progressToken", "silent"), "arguments", arguments));
        byte[] body = write(call).getBytes(StandardCharsets.UTF_8);
        Socket socket = new Socket("127.0.0.1", target.port());
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key + "\r\nMcp-Session-Id: "
                + session + "\r\nContent-Type: application/json\r\nAccept: " + ACCEPT + "\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains("notifications/progress") && line.contains("started")) {
                await().atMost(Duration.ofSeconds(10)).until(() -> liveProcesses("sleep " + marker) == 1);
                return socket;
            }
        }
        socket.close();
        throw new AssertionError("no progress notification with the program's first line");
    }

    private static String silentProgram(String marker) {
        return "import subprocess\nprint('started', flush=True)\nsubprocess.run(['sleep', '" + marker + "'])\n"
                + "print('not cancelled')";
    }

    /** A fresh 29.NNNNNN seconds: longer than every wait below, and unique to one test's process. */
    private static String marker() {
        return "29." + (100_000 + new java.util.Random().nextInt(900_000));
    }

    @Test
    void a_client_that_closes_its_connection_mid_call_cancels_the_run() throws Exception {
        Account account = account();
        String session = rawSession(server, account.key());
        String marker = marker();
        Socket socket = startSilentCall(server, account.key(), session, "run_code", Map.of("language", "python",
                "source", silentProgram(marker), "limits", Map.of("wall_time_seconds", 50)), marker);
        assertThat(history(account.token())).singleElement()
                .satisfies(run -> assertThat(run.path("status").asText()).isEqualTo("RUNNING"));
        long closedAt = System.nanoTime();
        socket.close();
        // The program would sleep 29 s more: the server notices the closed connection at its next keep-alive.
        await().atMost(Duration.ofSeconds(15)).until(() -> liveProcesses("sleep " + marker) == 0);
        System.out.printf("%s: the run's process ended %d ms after the client closed its connection%n", backend(),
                (System.nanoTime() - closedAt) / 1_000_000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(history(account.token())).singleElement()
                .satisfies(run -> assertThat(run.path("status").asText()).isEqualTo("CANCELLED")));
        // The MCP session stays: the client goes on with it on a new connection.
        HttpResponse<String> next = post(server, Map.of("Authorization", "Bearer " + account.key(), "Mcp-Session-Id",
                session), Map.of("jsonrpc", "2.0", "id", 41, "method", "tools/list"));
        assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
        assertThat(next.body()).contains("run_code");
    }

    @Test
    void a_client_that_closes_its_connection_mid_run_in_session_cancels_that_run_and_keeps_the_session()
            throws Exception {
        Account account = account();
        String apiKey = account.key();
        McpSyncClient client = connect(server, apiKey, new ArrayList<>());
        String id = (String) structured(call(client, "create_session", Map.of("language", "python"))).get("session_id");
        String marker = marker();
        Socket socket = startSilentCall(server, apiKey, rawSession(server, apiKey), "run_in_session",
                Map.of("session_id", id, "source", silentProgram(marker), "limits", Map.of("wall_time_seconds", 50)),
                marker);
        socket.close();
        await().atMost(Duration.ofSeconds(15)).until(() -> liveProcesses("sleep " + marker) == 0);
        // Only that run ended: the session and its sandbox serve the next call.
        Map<String, Object> next = structured(call(client, "run_in_session", Map.of("session_id", id,
                "source", "print('still here')")));
        assertThat(next.get("stdout")).isEqualTo("still here\n");
        assertThat(history(account.token())).extracting(run -> run.path("status").asText())
                .containsExactly("OK", "CANCELLED");
    }

    @Test
    void another_users_cancellation_does_not_reach_the_run() throws Exception {
        String key = runKey();
        String session = rawSession(server, key);
        Iterator<String> lines = startLongRun(server, key, session, 8);
        String intruder = runKey();
        assertError(cancel(server, intruder, session, 8), 404, "session_not_found");
        // The intruder's own session with the same request id: another run's key.
        assertThat(cancel(server, intruder, rawSession(server, intruder), 8).statusCode()).isEqualTo(202);
        CompletableFuture<String> result = resultOf(lines);
        Thread.sleep(1000);
        assertThat(result).isNotDone();
        assertThat(cancel(server, key, session, 8).statusCode()).isEqualTo(202);
        assertThat(result.get(20, TimeUnit.SECONDS)).contains("CANCELLED");
    }

    @Test
    void a_run_holds_its_slot_of_the_concurrent_run_quota_until_it_ends() throws Exception {
        CloudRunServer limited = startServer(Map.of("CLOUDRUN_USER_CONCURRENT_RUNS", "1"));
        ApiClient limitedApi = new ApiClient(base(limited));
        String key = key(limitedApi, register(limitedApi), List.of("run"));
        String session = rawSession(limited, key);
        Map<String, String> headers = Map.of("Authorization", "Bearer " + key, "Mcp-Session-Id", session);
        Map<String, Object> quick = Map.of("jsonrpc", "2.0", "id", 20, "method", "tools/call", "params", Map.of(
                "name", "run_code", "arguments", Map.of("language", "python", "source", "print(1)")));
        Iterator<String> lines = startLongRun(limited, key, session, 21);
        assertError(post(limited, headers, quick), 429, "concurrent_run_limit");
        assertThat(limitedApi.post("/api/runs", key, Map.of("language", "python", "source", "print(2)")).status())
                .isEqualTo(429);
        assertThat(cancel(limited, key, session, 21).statusCode()).isEqualTo(202);
        assertThat(resultOf(lines).get(20, TimeUnit.SECONDS)).contains("CANCELLED");
        HttpResponse<String> after = post(limited, headers, quick);
        assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
        assertThat(after.body()).contains("\"status\":\"OK\"");
    }

    @Test
    void batches_are_refused_and_a_revoked_key_stops_at_once() {
        String session = register(api);
        ApiClient.Response created = api.post("/api/keys", session, Map.of("name", "soon gone", "scopes", List.of("run")));
        String key = created.json().path("key").asText();
        String mcpSession = rawSession(server, key);
        Map<String, String> headers = Map.of("Authorization", "Bearer " + key, "Mcp-Session-Id", mcpSession);
        assertError(post(server, headers, List.of(Map.of("jsonrpc", "2.0", "id", 30, "method", "tools/list"))), 400,
                "invalid_field");
        assertThat(post(server, headers, Map.of("jsonrpc", "2.0", "id", 31, "method", "tools/list")).statusCode())
                .isEqualTo(200);
        assertThat(api.delete("/api/keys/" + created.json().path("id").asText(), session).status()).isEqualTo(204);
        assertError(post(server, headers, Map.of("jsonrpc", "2.0", "id", 32, "method", "tools/list")), 401, "unauthorized");
    }

    @Test
    void the_run_rate_of_post_api_runs_applies_to_tool_calls() {
        CloudRunServer limited = startServer(Map.of("CLOUDRUN_USER_RUNS_PER_MINUTE", "2"));
        ApiClient limitedApi = new ApiClient(base(limited));
        String key = key(limitedApi, register(limitedApi), List.of("run"));
        String session = rawSession(limited, key);
        Map<String, String> headers = Map.of("Authorization", "Bearer " + key, "Mcp-Session-Id", session);
        Map<String, Object> run = Map.of("jsonrpc", "2.0", "id", 3, "method", "tools/call", "params", Map.of(
                "name", "run_code", "arguments", Map.of("language", "python", "source", "print(1)")));
        HttpResponse<String> first = post(limited, headers, run);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.body()).contains("\"status\":\"OK\"");
        // POST /api/runs and the tools share the user's budget.
        ApiClient.Response viaRest = limitedApi.post("/api/runs", key, Map.of("language", "python", "source", "print(2)"));
        assertThat(viaRest.status()).as(viaRest.text()).isEqualTo(200);
        HttpResponse<String> third = post(limited, headers, run);
        assertError(third, 429, "run_rate_limit");
        assertThat(third.headers().firstValue("Retry-After")).isPresent();
        // Calls that run nothing are not counted.
        HttpResponse<String> list = post(limited, headers, Map.of("jsonrpc", "2.0", "id", 4, "method", "tools/list"));
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        assertThat(list.body()).contains("run_code");
    }

    @Test
    void the_per_address_request_rate_counts_mcp_requests() {
        CloudRunServer limited = startServer(Map.of("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "3"));
        // Unauthenticated requests count too: the limit comes before the key is looked up.
        for (int i = 0; i < 3; i++) {
            assertError(post(limited, Map.of(), initializeMessage()), 401, "unauthorized");
        }
        assertError(post(limited, Map.of(), initializeMessage()), 429, "rate_limited");
    }

    @Test
    void a_stopped_server_leaves_no_thread_that_keeps_the_jvm_alive() {
        CloudRunServer own = startServer(Map.of());
        ApiClient ownApi = new ApiClient(base(own));
        String key = key(ownApi, register(ownApi), List.of("run"));
        assertThat(rawSession(own, key)).isNotBlank();
        own.stop();
        servers.remove(own);
        // The MCP SDK's session sweeper runs on a Reactor single scheduler that its close never disposes.
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive).filteredOn(thread -> !thread.isDaemon())
                .extracting(Thread::getName).noneMatch(name -> name.startsWith("streamable-http-server-transport"));
    }
}
