package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.db.UserRepository;
import dev.cloudrun.server.db.Database;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's behaviour, written once and run against each database (see the subclasses): a real
 * server on a free port, driven with the JDK's HTTP and WebSocket clients, running real programs in
 * the local sandbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ServerTestKit {
    static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);

    Path dataDir;

    ServerConfig config;
    CloudRunServer server;
    ApiClient api;
    String wsUrl;

    /** @return the settings that choose this kit's database */
    abstract Map<String, String> databaseSettings();

    @BeforeAll
    void startServer(@TempDir Path temporaryDirectory) {
        dataDir = temporaryDirectory;
        Map<String, String> settings = new HashMap<>(databaseSettings());
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "1000");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_GUEST_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "1000");
        settings.put("CLOUDRUN_IP_CONCURRENT_RUNS", "100");
        settings.put("CLOUDRUN_WS_MAX_MESSAGE_BYTES", "65536");
        config = ServerConfig.of(settings);
        server = CloudRunServer.create(config).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
        wsUrl = "ws://127.0.0.1:" + server.port() + "/ws/run";
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
        assertNoSandboxProcessesLeft();
    }

    // ---- helpers ----

    String uniqueName() {
        return "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Registers an account and returns its token. */
    String register(String username) {
        ApiClient.Response response = api.post("/api/auth/register", null,
                Map.of("username", username, "email", username + "@example.com", "password", "correct horse battery"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    String guest() {
        ApiClient.Response response = api.post("/api/auth/guest", null, Map.of());
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        assertThat(response.json().path("user").path("guest").asBoolean()).isTrue();
        return response.json().path("token").asText();
    }

    String createProject(String token, String name, Map<String, String> files, String entry) {
        ApiClient.Response response = api.post("/api/projects", token,
                Map.of("name", name, "language", "python", "files", files, "entry", entry));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("id").asText();
    }

    /** The text of one stream across a run's messages (output arrives in chunks of any size). */
    static String joined(List<JsonNode> messages, String stream) {
        StringBuilder text = new StringBuilder();
        messages.stream().filter(m -> type(m).equals(stream)).forEach(m -> text.append(m.path("data").asText()));
        return text.toString();
    }

    static String type(JsonNode message) {
        return message.path("type").asText();
    }

    // ---- health, languages, docs ----

    @Test
    void health_reports_database_and_sandbox() {
        ApiClient.Response health = api.get("/api/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("status").asText()).isEqualTo("up");
        assertThat(health.json().path("database").path("status").asText()).isEqualTo("up");
        assertThat(health.json().path("sandbox").path("backend").asText()).isEqualTo("local");
    }

    @Test
    void languages_and_openapi_are_public() {
        JsonNode languages = api.get("/api/languages", null).json().path("languages");
        assertThat(languages.findValuesAsText("id")).contains("python", "javascript", "java");
        // The web IDE (cloudrun-web/src/api.ts) reads these fields; monacoLanguage and template come from the descriptors.
        JsonNode bash = languages.findParents("id").stream().filter(node -> node.path("id").asText().equals("bash"))
                .findFirst().orElseThrow();
        assertThat(bash.fieldNames()).toIterable().containsExactly("id", "displayName", "aliases", "extensions", "sourceFile",
                "compiled", "monacoLanguage", "previewOnly", "template");
        assertThat(bash.path("monacoLanguage").asText()).isEqualTo("shell");
        assertThat(bash.path("template").asText()).contains("read -r");
        assertThat(bash.path("sourceFile").asText()).isEqualTo("main.sh");
        JsonNode openApi = api.get("/api/openapi.json", null).json();
        assertThat(openApi.path("openapi").asText()).startsWith("3.");
        assertThat(openApi.path("paths").has("/api/runs")).isTrue();
        assertThat(openApi.path("paths").has("/api/auth/register")).isTrue();
        assertThat(openApi.path("paths").has("/api/auth/refresh")).isTrue();
        assertThat(api.get("/", null).text()).contains("<html");
    }

    @Test
    void the_ide_is_served_gzipped_with_its_hashed_bundles_cached_for_good() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> index = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(index.headers().firstValue("Cache-Control")).hasValue("no-cache");
        Matcher script = Pattern.compile("src=\"\\.?(/assets/[^\"]+\\.js)\"").matcher(index.body());
        assertThat(script.find()).as(index.body()).isTrue();

        HttpRequest bundle = HttpRequest.newBuilder(URI.create(base + script.group(1))).header("Accept-Encoding", "gzip").build();
        HttpResponse<byte[]> gzipped = http.send(bundle, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(gzipped.statusCode()).isEqualTo(200);
        assertThat(gzipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(gzipped.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        byte[] plain = http.send(HttpRequest.newBuilder(URI.create(base + script.group(1))).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        try (GZIPInputStream unzipped = new GZIPInputStream(new ByteArrayInputStream(gzipped.body()))) {
            assertThat(unzipped.readAllBytes()).isEqualTo(plain);
        }
        assertThat(gzipped.body().length).isLessThan(plain.length / 2);
        assertThat(new String(plain, StandardCharsets.UTF_8)).contains("cloudrun.token");
    }

    // ---- accounts ----

    @Test
    void register_then_login_by_username_and_by_email() {
        String name = uniqueName();
        String token = register(name);
        JsonNode me = api.get("/api/auth/me", token).json().path("user");
        assertThat(me.path("username").asText()).isEqualTo(name);
        assertThat(me.path("guest").asBoolean()).isFalse();
        assertThat(api.get("/api/me", token).json().path("user").path("id").asText()).isEqualTo(me.path("id").asText());

        ApiClient.Response byName = api.post("/api/auth/login", null, Map.of("login", name.toUpperCase(), "password", "correct horse battery"));
        assertThat(byName.status()).isEqualTo(200);
        ApiClient.Response byEmail = api.post("/api/auth/login", null, Map.of("login", name + "@EXAMPLE.com", "password", "correct horse battery"));
        assertThat(byEmail.status()).isEqualTo(200);
        assertThat(byEmail.json().path("user").path("id").asText()).isEqualTo(me.path("id").asText());
        assertThat(api.get("/api/auth/me", byEmail.json().path("token").asText()).status()).isEqualTo(200);
    }

    @Test
    void login_errors_do_not_reveal_which_accounts_exist() {
        String name = uniqueName();
        register(name);
        ApiClient.Response wrongPassword = api.post("/api/auth/login", null, Map.of("login", name, "password", "wrong password!"));
        ApiClient.Response noSuchUser = api.post("/api/auth/login", null, Map.of("login", uniqueName(), "password", "wrong password!"));
        assertThat(wrongPassword.status()).isEqualTo(401);
        assertThat(noSuchUser.status()).isEqualTo(401);
        assertThat(wrongPassword.json()).isEqualTo(noSuchUser.json());

        ApiClient.Response duplicate = api.post("/api/auth/register", null,
                Map.of("username", name, "email", "other-" + name + "@example.com", "password", "another password"));
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(duplicate.errorCode()).isEqualTo("account_unavailable");

        ApiClient.Response missing = api.post("/api/auth/register", null, Map.of("username", uniqueName()));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().path("error").path("field").asText()).isEqualTo("email");
    }

    @Test
    void guest_upgrades_to_an_account_and_keeps_its_projects() {
        String guestToken = guest();
        String guestId = api.get("/api/auth/me", guestToken).json().path("user").path("id").asText();
        String projectId = createProject(guestToken, "scratch", Map.of("main.py", "print('kept')"), "main.py");

        String name = uniqueName();
        ApiClient.Response upgraded = api.post("/api/auth/upgrade", guestToken,
                Map.of("username", name, "email", name + "@example.com", "password", "upgrade password"));
        assertThat(upgraded.status()).as(upgraded.text()).isEqualTo(200);
        assertThat(upgraded.json().path("user").path("id").asText()).isEqualTo(guestId);
        assertThat(upgraded.json().path("user").path("guest").asBoolean()).isFalse();

        String token = api.post("/api/auth/login", null, Map.of("login", name, "password", "upgrade password")).json().path("token").asText();
        JsonNode projects = api.get("/api/projects", token).json().path("projects");
        assertThat(projects.findValuesAsText("id")).containsExactly(projectId);
        assertThat(api.get("/api/projects/" + projectId + "/files/main.py", token).text()).isEqualTo("print('kept')");
        assertThat(api.post("/api/auth/upgrade", token, Map.of("username", uniqueName(), "email", "x@example.com",
                "password", "another password")).errorCode()).isEqualTo("not_a_guest");

        // Registering while holding a guest token upgrades that guest too.
        String otherGuest = guest();
        String otherProject = createProject(otherGuest, "second", Map.of("a.py", "print(2)"), "a.py");
        String otherName = uniqueName();
        ApiClient.Response registered = api.post("/api/auth/register", otherGuest,
                Map.of("username", otherName, "email", otherName + "@example.com", "password", "register password"));
        assertThat(registered.status()).isEqualTo(200);
        assertThat(api.get("/api/projects", registered.json().path("token").asText()).json().path("projects").findValuesAsText("id"))
                .containsExactly(otherProject);
    }

    // ---- tokens ----

    @Test
    void forged_none_other_algorithm_and_expired_tokens_are_rejected() throws Exception {
        String realToken = guest();
        String subject = JWT.decode(realToken).getSubject();
        byte[] secret = Files.readString(dataDir.resolve("jwt-secret")).trim().getBytes(StandardCharsets.UTF_8);

        String forged = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withExpiresAt(Instant.now().plusSeconds(3600)).sign(Algorithm.HMAC256("not the server's secret at all, forged"));
        String noneAlgorithm = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                + base64Url("{\"iss\":\"cloudrun\",\"sub\":\"" + subject + "\",\"exp\":" + (Instant.now().getEpochSecond() + 3600) + "}") + ".";
        String otherAlgorithm = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withExpiresAt(Instant.now().plusSeconds(3600)).sign(Algorithm.HMAC512(secret));
        String expired = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withIssuedAt(Instant.now().minus(Duration.ofDays(8))).withExpiresAt(Instant.now().minus(Duration.ofDays(1)))
                .sign(Algorithm.HMAC256(secret));
        String tampered = realToken.substring(0, realToken.length() - 3) + (realToken.endsWith("A") ? "BBB" : "AAA");

        assertThat(api.get("/api/auth/me", realToken).status()).isEqualTo(200);
        for (String token : List.of(forged, noneAlgorithm, otherAlgorithm, expired, tampered, "garbage")) {
            ApiClient.Response response = api.get("/api/projects", token);
            assertThat(response.status()).as(token).isEqualTo(401);
            assertThat(response.errorCode()).isEqualTo("unauthorized");
        }
        assertThat(api.get("/api/projects", null).status()).isEqualTo(401);
        assertThat(api.post("/api/runs", null, Map.of("language", "python", "source", "print(1)")).status()).isEqualTo(401);

        try (WsSession socket = WsSession.open(wsUrl + "?token=" + forged)) {
            JsonNode error = socket.next(Duration.ofSeconds(5));
            assertThat(error.path("code").asText()).isEqualTo("unauthorized");
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(4401);
        }
    }

    @Test
    void a_valid_token_is_renewed_with_a_full_lifetime_and_an_expired_one_is_not() throws Exception {
        String guestToken = guest();
        String subject = JWT.decode(guestToken).getSubject();
        byte[] secret = Files.readString(dataDir.resolve("jwt-secret")).trim().getBytes(StandardCharsets.UTF_8);
        // A session opened six days ago, one day before it runs out.
        String ageing = JWT.create().withIssuer("cloudrun").withSubject(subject).withClaim("guest", true)
                .withIssuedAt(Instant.now().minus(Duration.ofDays(6))).withExpiresAt(Instant.now().plus(Duration.ofDays(1)))
                .sign(Algorithm.HMAC256(secret));

        ApiClient.Response renewed = api.post("/api/auth/refresh", ageing, Map.of());
        assertThat(renewed.status()).as(renewed.text()).isEqualTo(200);
        String fresh = renewed.json().path("token").asText();
        DecodedJWT decoded = JWT.decode(fresh);
        assertThat(decoded.getSubject()).isEqualTo(subject);
        assertThat(decoded.getClaim("guest").asBoolean()).isTrue();
        assertThat(decoded.getExpiresAtAsInstant()).isAfter(Instant.now().plus(Duration.ofDays(6)));
        assertThat(renewed.json().path("expiresAt").asLong()).isEqualTo(decoded.getExpiresAtAsInstant().toEpochMilli());
        assertThat(renewed.json().path("user").path("id").asText()).isEqualTo(subject);
        assertThat(api.get("/api/projects", fresh).status()).isEqualTo(200);

        // Every way of signing in says when its token expires.
        ApiClient.Response login = api.post("/api/auth/guest", null, Map.of());
        assertThat(login.json().path("expiresAt").asLong())
                .isEqualTo(JWT.decode(login.json().path("token").asText()).getExpiresAtAsInstant().toEpochMilli());

        String expired = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withIssuedAt(Instant.now().minus(Duration.ofDays(8))).withExpiresAt(Instant.now().minus(Duration.ofMinutes(1)))
                .sign(Algorithm.HMAC256(secret));
        String forged = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withExpiresAt(Instant.now().plusSeconds(3600)).sign(Algorithm.HMAC256("not the server's secret at all, forged"));
        for (String token : new String[] {expired, forged, null}) {
            ApiClient.Response refused = api.post("/api/auth/refresh", token, Map.of());
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.errorCode()).isEqualTo("unauthorized");
        }
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void guests_idle_past_the_retention_are_deleted_with_their_projects() {
        String idle = guest();
        String busy = guest();
        String account = register(uniqueName());
        String idleProject = createProject(idle, "old work", Map.of("main.py", "print(1)"), "main.py");
        createProject(busy, "current work", Map.of("main.py", "print(2)"), "main.py");
        String idleId = JWT.decode(idle).getSubject();
        String busyId = JWT.decode(busy).getSubject();
        long fortyDaysAgo = Instant.now().minus(Duration.ofDays(40)).toEpochMilli();
        try (Database database = Database.open(config.database().url())) {
            // Both guests arrived 40 days ago; only the busy one has saved something since.
            database.jdbi().useHandle(handle -> {
                handle.execute("UPDATE users SET created_at = ? WHERE id IN (?, ?)", fortyDaysAgo, idleId, busyId);
                handle.execute("UPDATE projects SET updated_at = ? WHERE owner_id = ?", fortyDaysAgo, idleId);
            });
            int purged = new UserRepository(database.jdbi())
                    .deleteIdleGuests(Instant.now().minus(Duration.ofDays(30)).toEpochMilli());

            assertThat(purged).isGreaterThanOrEqualTo(1);
            long filesLeft = database.jdbi().withHandle(handle -> handle.createQuery(
                    "SELECT COUNT(*) FROM project_files WHERE project_id = :id").bind("id", idleProject).mapTo(Long.class).one());
            assertThat(filesLeft).isZero();
        }
        ApiClient.Response gone = api.get("/api/auth/me", idle);
        assertThat(gone.status()).isEqualTo(401);
        assertThat(api.get("/api/auth/me", busy).status()).isEqualTo(200);
        assertThat(api.get("/api/projects", busy).json().path("projects").size()).isEqualTo(1);
        assertThat(api.get("/api/auth/me", account).status()).isEqualTo(200);
    }

    // ---- projects ----

    @Test
    void project_files_are_saved_read_renamed_and_deleted_binary_safe() {
        String token = register(uniqueName());
        String projectId = createProject(token, "files", Map.of("main.py", "print('hi')"), "main.py");
        String base = "/api/projects/" + projectId;

        byte[] binary = new byte[256 * 3];
        for (int index = 0; index < binary.length; index++) {
            binary[index] = (byte) index;
        }
        assertThat(api.put(base + "/files/assets/data.bin", token, binary).status()).isEqualTo(200);
        assertThat(api.get(base + "/files/assets/data.bin", token).body()).isEqualTo(binary);
        assertThat(api.put(base + "/files/notes/" + "r%C3%A9sum%C3%A9.txt", token, "é ü 漢字".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        assertThat(api.get(base + "/files/notes/r%C3%A9sum%C3%A9.txt", token).text()).isEqualTo("é ü 漢字");

        assertThat(api.post(base + "/folders", token, Map.of("path", "empty/folder")).status()).isEqualTo(201);
        assertThat(api.post(base + "/move", token, Map.of("from", "assets", "to", "static")).json().path("moved").asInt()).isEqualTo(1);
        assertThat(api.get(base + "/files/static/data.bin", token).body()).isEqualTo(binary);
        assertThat(api.get(base + "/files/assets/data.bin", token).status()).isEqualTo(404);
        assertThat(api.post(base + "/move", token, Map.of("from", "main.py", "to", "app.py")).status()).isEqualTo(200);
        assertThat(api.post(base + "/move", token, Map.of("from", "app.py", "to", "static/data.bin")).status()).isEqualTo(409);

        JsonNode tree = api.get(base, token).json();
        assertThat(tree.path("files").findValuesAsText("path"))
                .containsExactlyInAnyOrder("app.py", "empty/folder", "notes/résumé.txt", "static/data.bin");
        assertThat(api.delete(base + "/files/static", token).json().path("deleted").asInt()).isEqualTo(1);
        assertThat(api.get(base + "/files", token).json().path("files").findValuesAsText("path"))
                .containsExactlyInAnyOrder("app.py", "empty/folder", "notes/résumé.txt");

        assertThat(api.patch(base, token, Map.of("name", "renamed", "entry", "app.py")).json().path("name").asText()).isEqualTo("renamed");
        assertThat(api.get("/api/projects", token).json().path("projects").findValuesAsText("name")).containsExactly("renamed");

        String stranger = guest();
        assertThat(api.get(base, stranger).status()).isEqualTo(404);
        assertThat(api.put(base + "/files/x.py", stranger, new byte[1]).status()).isEqualTo(404);

        assertThat(api.delete(base, token).status()).isEqualTo(204);
        assertThat(api.get(base, token).status()).isEqualTo(404);
    }

    @Test
    void paths_escaping_the_project_are_rejected() {
        String token = guest();
        String projectId = createProject(token, "confined", Map.of("main.py", "print(1)"), "main.py");
        String base = "/api/projects/" + projectId;
        for (String path : List.of("..%2F..%2Fetc%2Fpasswd", "%2e%2e/secret", "a/%2E%2E/%2E%2E/b", "%2Fetc%2Fpasswd", "a%5C..%5Cb")) {
            ApiClient.Response write = api.put(base + "/files/" + path, token, "x".getBytes(StandardCharsets.UTF_8));
            assertThat(write.status()).as(path).isEqualTo(400);
            assertThat(write.errorCode()).as(path).isEqualTo("invalid_path");
        }
        ApiClient.Response rawDots = api.send(api.request(base + "/files/a/../../../../etc/passwd", token).GET());
        assertThat(rawDots.status()).isIn(400, 404);
        for (String path : List.of("../escape.py", "/etc/passwd", "a/../../b", "./../x")) {
            ApiClient.Response move = api.post(base + "/move", token, Map.of("from", "main.py", "to", path));
            assertThat(move.status()).as(path).isEqualTo(400);
            assertThat(move.json().path("error").path("field").asText()).isEqualTo("to");
            ApiClient.Response create = api.post("/api/projects", token, Map.of("name", uniqueName(), "files", Map.of(path, "x")));
            assertThat(create.status()).as(path).isEqualTo(400);
            ApiClient.Response run = api.post("/api/runs", token, Map.of("language", "python", "files", Map.of(path, "print(1)"), "entry", path));
            assertThat(run.status()).as(path).isEqualTo(400);
        }
        assertThat(api.get(base + "/files", token).json().path("files").findValuesAsText("path")).containsExactly("main.py");
    }

    // ---- runs over WebSocket ----

    @Test
    void runs_a_saved_project_over_websocket_with_interactive_stdin() {
        String token = register(uniqueName());
        String program = "import sys\nname = input('Name? ')\nprint('Hello, ' + name + '!', flush=True)\n"
                + "rest = sys.stdin.read()\nprint('rest', len(rest))\nprint('oops', file=sys.stderr)\n";
        String projectId = createProject(token, "greeter", Map.of("src/app.py", program, "README.md", "not run"), "src/app.py");

        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            assertThat(type(socket.next(Duration.ofSeconds(5)))).isEqualTo("authenticated");
            socket.send(Map.of("type", "start", "projectId", projectId));
            JsonNode accepted = socket.next(RUN_TIMEOUT);
            assertThat(type(accepted)).isEqualTo("accepted");
            String runId = accepted.path("runId").asText();
            assertThat(runId).isNotBlank();

            socket.awaitStdout("Name? ", RUN_TIMEOUT);
            socket.send(Map.of("type", "stdin", "data", "Ada\n"));
            socket.awaitStdout("Hello, Ada!", RUN_TIMEOUT);
            socket.send(Map.of("type", "stdin", "data", "four"));
            socket.send(Map.of("type", "stdin_close"));
            List<JsonNode> rest = socket.untilType("finished", RUN_TIMEOUT);
            JsonNode finished = rest.get(rest.size() - 1);
            assertThat(joined(rest, "stdout")).contains("rest 4");
            assertThat(joined(rest, "stderr")).contains("oops");
            assertThat(rest).allMatch(m -> m.path("runId").asText().equals(runId));
            assertThat(finished.path("status").asText()).isEqualTo("OK");
            assertThat(finished.path("exitCode").asInt()).isZero();
            assertThat(finished.path("wallTimeMs").asLong()).isPositive();
            assertThat(finished.has("cpuTimeMs")).isTrue();
            assertThat(finished.path("memoryBytes").asLong()).isPositive();

            // The same socket carries the next run.
            socket.send(Map.of("type", "start", "language", "python", "source", "import numpy_is_not_here\n"));
            List<JsonNode> second = socket.untilType("finished", RUN_TIMEOUT);
            assertThat(second).anyMatch(m -> type(m).equals("missing_dependency") && m.path("module").asText().equals("numpy_is_not_here"));
            assertThat(second.get(second.size() - 1).path("status").asText()).isEqualTo("RUNTIME_ERROR");
        }

        JsonNode history = api.get("/api/runs", token).json().path("runs");
        assertThat(history).hasSize(2);
        assertThat(history.get(1).path("projectId").asText()).isEqualTo(projectId);
        assertThat(history.get(1).path("status").asText()).isEqualTo("OK");
        assertThat(history.get(1).path("via").asText()).isEqualTo("websocket");
        assertThat(history.get(1).path("stdoutBytes").asLong()).isPositive();
    }

    @Test
    void a_missing_package_is_reported_then_installed_and_kept_for_the_project() {
        String token = register(uniqueName());
        ApiClient.Response created = api.post("/api/projects", token, Map.of("name", "odd", "language", "javascript",
                "files", Map.of("main.js", "const isOdd = require('is-odd');\nconsole.log('odd?', isOdd(3));\n"),
                "entry", "main.js"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String projectId = created.json().path("id").asText();

        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "projectId", projectId, "stdin", ""));
            List<JsonNode> first = socket.untilType("finished", RUN_TIMEOUT);
            JsonNode missing = first.stream().filter(m -> type(m).equals("missing_dependency")).findFirst().orElseThrow();
            assertThat(missing.path("packages").get(0).asText()).isEqualTo("is-odd");
            assertThat(missing.path("canInstall").asBoolean()).isTrue();
            assertThat(first.get(first.size() - 1).path("status").asText()).isEqualTo("RUNTIME_ERROR");

            // "Install & Re-run": the same start with autoInstall.
            socket.send(Map.of("type", "start", "projectId", projectId, "stdin", "", "autoInstall", true));
            List<JsonNode> second = socket.untilType("finished", Duration.ofSeconds(120));
            assertThat(second).extracting(ServerTestKit::type).containsSubsequence("install_started", "install_finished", "finished");
            JsonNode installed = second.stream().filter(m -> type(m).equals("install_finished")).findFirst().orElseThrow();
            assertThat(installed.path("success").asBoolean()).as(installed.toString()).isTrue();
            // FORCE_COLOR=1 reaches the program: Node colours the boolean for the IDE's terminal.
            assertThat(joined(second, "stdout")).isEqualTo("odd? \u001b[33mtrue\u001b[39m\n");
            assertThat(second.get(second.size() - 1).path("status").asText()).isEqualTo("OK");

            // The next run of the project finds the package without installing it again.
            socket.send(Map.of("type", "start", "projectId", projectId, "stdin", ""));
            List<JsonNode> third = socket.untilType("finished", RUN_TIMEOUT);
            assertThat(third).noneMatch(m -> type(m).startsWith("install") || type(m).equals("missing_dependency"));
            assertThat(joined(third, "stdout")).isEqualTo("odd? \u001b[33mtrue\u001b[39m\n");
        }
    }

    @Test
    void many_small_writes_arrive_complete_and_in_order_in_few_messages() {
        String token = guest();
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "language", "python", "stdin", "",
                    "source", "import sys\nfor i in range(3000):\n    print(i)\n    if i % 1000 == 0: print('e', i, file=sys.stderr)\n"));
            List<JsonNode> messages = socket.untilType("finished", RUN_TIMEOUT);
            StringBuilder expected = new StringBuilder();
            for (int index = 0; index < 3000; index++) {
                expected.append(index).append('\n');
            }
            assertThat(joined(messages, "stdout")).isEqualTo(expected.toString());
            assertThat(joined(messages, "stderr")).isEqualTo("e 0\ne 1000\ne 2000\n");
            assertThat(messages.stream().filter(m -> type(m).equals("stdout")).count()).isLessThan(500);
            assertThat(messages.get(messages.size() - 1).path("status").asText()).isEqualTo("OK");
        }
    }

    @Test
    void stop_cancels_a_run_and_closing_the_socket_cancels_too() {
        String token = guest();
        try (WsSession socket = WsSession.open(wsUrl)) {
            socket.send(Map.of("type", "auth", "token", token));
            assertThat(type(socket.next(Duration.ofSeconds(5)))).isEqualTo("authenticated");
            socket.send(Map.of("type", "start", "language", "python",
                    "source", "import time\nprint('started', flush=True)\nwhile True:\n    time.sleep(0.05)\n"));
            socket.awaitStdout("started", RUN_TIMEOUT);
            socket.send(Map.of("type", "stop"));
            List<JsonNode> messages = socket.untilType("finished", RUN_TIMEOUT);
            assertThat(messages.get(messages.size() - 1).path("status").asText()).isEqualTo("CANCELLED");

            // A guest may have one run at a time: while one runs, another is refused with 429.
            socket.send(Map.of("type", "start", "language", "python",
                    "source", "import time\nprint('again', flush=True)\ntime.sleep(60)\n"));
            socket.awaitStdout("again", RUN_TIMEOUT);
            ApiClient.Response refused = api.post("/api/runs", token, Map.of("language", "python", "source", "print(1)"));
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Retry-After")).isPresent();
            assertThat(refused.errorCode()).isEqualTo("concurrent_run_limit");
        }
        // The socket closed with the run going: the server cancels it.
        await().atMost(RUN_TIMEOUT).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(api.get("/api/runs?limit=1", token).json().path("runs").get(0).path("status").asText())
                        .isEqualTo("CANCELLED"));
        // Interpreters pre-started for the next runs are the backend's, not the cancelled run's.
        server.releaseIdleSandboxes();
        assertNoSandboxProcessesLeft();
    }

    /** Leak check: every program the server started has ended (they are this JVM's descendants). */
    static void assertNoSandboxProcessesLeft() {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive))
                        .extracting(p -> p.pid() + " " + p.info().commandLine().orElse("?"))
                        .as("processes left running").isEmpty());
    }

    @Test
    void bad_websocket_messages_get_json_errors_and_the_socket_keeps_serving() {
        String token = guest();
        try (WsSession socket = WsSession.open(wsUrl)) {
            socket.send(Map.of("type", "start", "language", "python", "source", "print(1)"));
            JsonNode unauthorized = socket.next(Duration.ofSeconds(5));
            assertThat(unauthorized.path("code").asText()).isEqualTo("unauthorized");
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(4401);
        }
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            assertThat(type(socket.next(Duration.ofSeconds(5)))).isEqualTo("authenticated");
            socket.send("{not json");
            assertThat(socket.next(Duration.ofSeconds(5)).path("code").asText()).isEqualTo("malformed_json");
            socket.send(Map.of("type", "launch_missiles"));
            assertThat(socket.next(Duration.ofSeconds(5)).path("code").asText()).isEqualTo("unknown_type");
            socket.send(Map.of("no", "type"));
            JsonNode missingType = socket.next(Duration.ofSeconds(5));
            assertThat(missingType.path("code").asText()).isEqualTo("missing_field");
            assertThat(missingType.path("field").asText()).isEqualTo("type");
            socket.send(Map.of("type", "start", "language", "python"));
            assertThat(socket.next(Duration.ofSeconds(5)).path("code").asText()).isEqualTo("missing_field");
            socket.send(Map.of("type", "start", "language", "cobol-9000", "source", "x"));
            assertThat(socket.next(Duration.ofSeconds(5)).path("field").asText()).isEqualTo("language");
            socket.send(Map.of("type", "stdin", "data", "x"));
            assertThat(socket.next(Duration.ofSeconds(5)).path("code").asText()).isEqualTo("no_active_run");

            socket.send(Map.of("type", "start", "language", "python", "source", "print(6 * 7)", "stdin", ""));
            List<JsonNode> run = socket.untilType("finished", RUN_TIMEOUT);
            assertThat(joined(run, "stdout")).isEqualTo("42\n");
        }
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "language", "python", "source", "#" + "x".repeat(70_000)));
            assertThat(socket.next(Duration.ofSeconds(5)).path("code").asText()).isEqualTo("message_too_big");
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(1009);
        }
        assertThat(api.get("/api/health", null).status()).isEqualTo(200);
    }

    @Test
    void foreign_origins_are_refused() {
        assertThatThrownBy(() -> WsSession.open(wsUrl, "http://evil.example"))
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(WebSocketHandshakeException.class);
        ApiClient.Response api403 = api.send(api.request("/api/health", null).header("Origin", "https://evil.example").GET());
        assertThat(api403.status()).isEqualTo(403);
        assertThat(api403.errorCode()).isEqualTo("origin_not_allowed");
        ApiClient.Response local = api.send(api.request("/api/health", null).header("Origin", "http://localhost:5173").GET());
        assertThat(local.status()).isEqualTo(200);
        assertThat(local.header("Access-Control-Allow-Origin")).contains("http://localhost:5173");
        try (WsSession socket = WsSession.open(wsUrl, "http://localhost:5173")) {
            socket.send(Map.of("type", "ping"));
            assertThat(type(socket.next(Duration.ofSeconds(5)))).isEqualTo("pong");
        }
    }

    // ---- runs over REST ----

    @Test
    void post_runs_returns_the_result_as_json_and_records_history() {
        String token = register(uniqueName());
        ApiClient.Response response = api.post("/api/runs", token, Map.of("language", "python",
                "files", List.of(Map.of("path", "main.py", "content", Base64.getEncoder().encodeToString(
                        "import sys\nprint(sys.argv[1], input())\nsys.exit(3)\n".getBytes(StandardCharsets.UTF_8)), "encoding", "base64")),
                "stdin", "there\n", "args", List.of("hello")));
        assertThat(response.status()).as(response.text()).isEqualTo(200);
        JsonNode result = response.json();
        assertThat(result.path("status").asText()).isEqualTo("RUNTIME_ERROR");
        assertThat(result.path("exitCode").asInt()).isEqualTo(3);
        assertThat(result.path("stdout").asText()).isEqualTo("hello there\n");

        JsonNode runs = api.get("/api/runs", token).json().path("runs");
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).path("id").asText()).isEqualTo(result.path("runId").asText());
        assertThat(runs.get(0).path("via").asText()).isEqualTo("api");
        assertThat(api.get("/api/runs/" + result.path("runId").asText(), token).json().path("exitCode").asInt()).isEqualTo(3);
        assertThat(api.get("/api/runs/" + result.path("runId").asText(), guest()).status()).isEqualTo(404);
    }

    @Test
    void a_repeated_compile_is_served_by_the_compile_cache_and_says_so() {
        String token = register(uniqueName());
        String source = "// " + uniqueName() + "\n#include <stdio.h>\nint main(void) { puts(\"compiled\"); return 0; }\n";
        List<Boolean> cached = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ApiClient.Response response = api.post("/api/runs", token, Map.of("language", "c", "source", source));
            assertThat(response.status()).as(response.text()).isEqualTo(200);
            assertThat(response.json().path("stdout").asText()).isEqualTo("compiled\n");
            cached.add(response.json().path("compileCached").asBoolean());
        }
        // Admitted on the second compile, served on the third.
        assertThat(cached).containsExactly(false, false, true);
    }

    @Test
    void malformed_requests_get_json_errors() {
        String token = guest();
        ApiClient.Response malformed = api.send(api.request("/api/runs", token)
                .POST(HttpRequest.BodyPublishers.ofString("{\"language\": ")));
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.errorCode()).isEqualTo("malformed_json");
        ApiClient.Response array = api.post("/api/projects", token, "[1, 2]");
        assertThat(array.errorCode()).isEqualTo("malformed_json");
        ApiClient.Response wrongType = api.post("/api/projects", token, Map.of("name", 42));
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.json().path("error").path("field").asText()).isEqualTo("name");
        ApiClient.Response badLimits = api.post("/api/runs", token, Map.of("language", "python", "source", "print(1)",
                "limits", Map.of("wallTimeMs", 3_600_000)));
        assertThat(badLimits.status()).isEqualTo(400);
        assertThat(badLimits.json().path("error").path("field").asText()).isEqualTo("limits.wallTime");
        ApiClient.Response unknown = api.get("/api/no-such-thing", token);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.errorCode()).isEqualTo("not_found");
        assertThat(api.get("/api/health", null).status()).isEqualTo(200);
    }

    // ---- issue 11: logout and the registration oracle, on each database ----

    @Test
    void logout_revokes_the_token_on_rest_and_websocket_and_other_sessions_live_on() {
        String name = uniqueName();
        String first = register(name);
        ApiClient.Response second = api.post("/api/auth/login", null, Map.of("login", name, "password", "correct horse battery"));
        String other = second.json().path("token").asText();
        try (WsSession open = WsSession.open(wsUrl + "?token=" + first)) {
            assertThat(type(open.next(Duration.ofSeconds(5)))).isEqualTo("authenticated");
            assertThat(api.post("/api/auth/logout", first, Map.of()).status()).isEqualTo(204);
            // A socket that authenticated before the logout cannot start a run with the revoked token.
            open.send(Map.of("type", "start", "language", "python", "source", "print(1)"));
            assertThat(open.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
        }
        assertThat(api.get("/api/auth/me", first).status()).isEqualTo(401);
        assertThat(api.post("/api/auth/refresh", first, Map.of()).status()).isEqualTo(401);
        assertThat(api.post("/api/auth/logout", first, Map.of()).status()).isEqualTo(401);
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + first)) {
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
        }
        assertThat(api.get("/api/auth/me", other).status()).isEqualTo(200);
    }

    @Test
    void registering_tells_whether_a_username_is_taken_but_never_whether_an_email_has_an_account() {
        String owner = uniqueName();
        String email = owner + "@example.com";
        register(owner);
        // Someone else registers with the owner's address: it looks like any registration.
        String intruder = uniqueName();
        ApiClient.Response taken = api.post("/api/auth/register", null,
                Map.of("username", intruder, "email", email.toUpperCase(), "password", "another password"));
        String fresh = uniqueName();
        ApiClient.Response free = api.post("/api/auth/register", null,
                Map.of("username", fresh, "email", fresh + "@example.com", "password", "another password"));
        assertThat(taken.status()).isEqualTo(free.status()).isEqualTo(201);
        assertThat(taken.json().path("user").path("email").asText()).isEqualTo(email);
        assertThat(api.get("/api/auth/me", taken.json().path("token").asText()).json().path("user").path("email").asText())
                .isEqualTo(email);
        // The address still signs the owner in, not the newcomer; the newcomer signs in by username.
        ApiClient.Response byEmail = api.post("/api/auth/login", null, Map.of("login", email, "password", "correct horse battery"));
        assertThat(byEmail.status()).isEqualTo(200);
        assertThat(byEmail.json().path("user").path("username").asText()).isEqualTo(owner);
        assertThat(api.post("/api/auth/login", null, Map.of("login", email, "password", "another password")).status())
                .isEqualTo(401);
        assertThat(api.post("/api/auth/login", null, Map.of("login", intruder, "password", "another password")).status())
                .isEqualTo(200);
        // A taken username is a 409 naming the field, whatever the address.
        ApiClient.Response clash = api.post("/api/auth/register", null,
                Map.of("username", owner.toUpperCase(), "email", uniqueName() + "@example.com", "password", "another password"));
        assertThat(clash.status()).isEqualTo(409);
        assertThat(clash.errorCode()).isEqualTo("account_unavailable");
        assertThat(clash.json().path("error").path("field").asText()).isEqualTo("username");
    }
}
