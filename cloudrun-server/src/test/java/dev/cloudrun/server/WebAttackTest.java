package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an attacker tries against a real server on loopback, with real HTTP (the JDK's client, and
 * a raw socket where the JDK's will not send what an attacker would) and WebSocket clients: bodies
 * that never end, DNS rebinding, framing, token tricks, guessing passwords, mass registration,
 * sockets that never authenticate, hostile paths and names, other users' resources, injection,
 * script in names and output, foreign origins and floods. Most tests share one server; those that
 * need tight limits start their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebAttackTest {
    private static final String PASSWORD = "correct horse battery";

    private Path dataDir;
    private CloudRunServer server;
    private ApiClient api;
    private String wsUrl;

    @BeforeAll
    void startServer(@TempDir Path temporaryDirectory) {
        dataDir = temporaryDirectory.resolve("data");
        server = start(dataDir, Map.of("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000",
                "CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000", "CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "1000",
                "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000", "CLOUDRUN_IP_RUNS_PER_MINUTE", "1000",
                "CLOUDRUN_GUEST_RUNS_PER_MINUTE", "1000", "CLOUDRUN_USER_RUNS_PER_MINUTE", "1000"));
        api = new ApiClient("http://127.0.0.1:" + server.port());
        wsUrl = "ws://127.0.0.1:" + server.port() + "/ws/run";
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    private static CloudRunServer start(Path dataDir, Map<String, String> overrides) {
        Map<String, String> settings = new HashMap<>(overrides);
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        return CloudRunServer.create(ServerConfig.of(settings)).start();
    }

    private static String uniqueName() {
        return "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private String guest() {
        return guest(api);
    }

    private static String guest(ApiClient client) {
        ApiClient.Response response = client.post("/api/auth/guest", null, Map.of());
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private static ApiClient.Response register(ApiClient client, String username, String email, Map<String, String> headers) {
        return client.post("/api/auth/register", null, Map.of("username", username, "email", email, "password", PASSWORD), headers);
    }

    private String account(String username) {
        ApiClient.Response response = register(api, username, username + "@example.com", Map.of());
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private byte[] secret() throws IOException {
        return Files.readString(dataDir.resolve("jwt-secret")).trim().getBytes(StandardCharsets.UTF_8);
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    // ---- finding 1: bodies without a length ----

    @Test
    void chunked_bodies_to_the_unauthenticated_endpoints_are_cut_at_the_limit_without_being_read_whole() throws Exception {
        // A body held whole is a large array, allocated outside the young generation: watch those pools' peaks.
        List<MemoryPoolMXBean> lasting = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .filter(pool -> !pool.getName().contains("Eden") && !pool.getName().contains("Survivor"))
                .toList();
        for (String path : List.of("/api/auth/login", "/api/auth/register")) {
            System.gc();
            lasting.forEach(MemoryPoolMXBean::resetPeakUsage);
            long before = lasting.stream().mapToLong(pool -> pool.getUsage().getUsed()).sum();
            long started = System.nanoTime();
            ChunkedUpload upload = ChunkedUpload.send(server.port(), path, 50L * 1024 * 1024);
            assertThat(upload.response.status()).as(path + ": " + upload.response.body()).isEqualTo(413);
            assertThat(upload.response.body()).contains("payload_too_large");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as(path).isLessThan(Duration.ofSeconds(10));
            long peak = lasting.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
            assertThat(peak - before).as("heap growth while sending to " + path).isLessThan(25L * 1024 * 1024);
        }
        // A declared length over the limit is refused before a byte of the body is read.
        RawHttp.Response declared = RawHttp.send(server.port(), "POST", "/api/auth/login",
                Map.of("Content-Type", "application/json"), "{\"login\":\"" + "x".repeat(100_000) + "\",\"password\":\"p\"}");
        assertThat(declared.status()).isEqualTo(413);
        // The server still serves.
        assertThat(api.get("/api/health", null).status()).isEqualTo(200);
    }

    /** Sends a chunked body on a raw socket while reading the answer, as a client that never stops would. */
    private static final class ChunkedUpload {
        RawHttp.Response response;

        static ChunkedUpload send(int port, String path, long total) throws Exception {
            ChunkedUpload upload = new ChunkedUpload();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                AtomicLong sent = new AtomicLong();
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    java.util.Arrays.fill(chunk, (byte) ' ');
                    chunk[0] = '{';
                    byte[] header = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
                    try {
                        while (sent.get() < total) {
                            out.write(header);
                            out.write(chunk);
                            out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                            sent.addAndGet(chunk.length);
                            chunk[0] = ' ';
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    } catch (IOException e) {
                        // The server closed the connection after answering: what a limit should do.
                    }
                });
                InputStream in = socket.getInputStream();
                upload.response = RawHttp.read(in);
                socket.close();
                writer.get(20, TimeUnit.SECONDS);
            }
            return upload;
        }
    }

    // ---- finding 2: registration and runs per address, no account oracle ----

    @Test
    void one_address_may_create_only_a_few_accounts(@TempDir Path otherData) {
        try (CloudRunServer limited = start(otherData, Map.of("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "2"))) {
            ApiClient client = new ApiClient("http://127.0.0.1:" + limited.port());
            for (int i = 0; i < 2; i++) {
                String name = uniqueName();
                assertThat(register(client, name, name + "@example.com", Map.of()).status()).isEqualTo(201);
            }
            String name = uniqueName();
            ApiClient.Response throttled = register(client, name, name + "@example.com", Map.of());
            assertThat(throttled.status()).isEqualTo(429);
            assertThat(throttled.errorCode()).isEqualTo("registration_throttled");
            assertThat(throttled.header("Retry-After")).isPresent();
        }
    }

    @Test
    void fresh_guests_from_one_address_cannot_take_more_than_its_share_of_runs(@TempDir Path otherData) {
        try (CloudRunServer limited = start(otherData, Map.of("CLOUDRUN_IP_RUNS_PER_MINUTE", "2"))) {
            ApiClient client = new ApiClient("http://127.0.0.1:" + limited.port());
            Map<String, String> run = Map.of("language", "python", "source", "print('ok')");
            assertThat(client.post("/api/runs", guest(client), run).json().path("status").asText()).isEqualTo("OK");
            assertThat(client.post("/api/runs", guest(client), run).json().path("status").asText()).isEqualTo("OK");
            ApiClient.Response refused = client.post("/api/runs", guest(client), run);
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.errorCode()).isEqualTo("address_run_rate_limit");
        }
    }

    // ---- finding 3: DNS rebinding ----

    @Test
    void a_host_the_server_does_not_answer_to_is_refused_before_routing() {
        int port = server.port();
        String name = uniqueName();
        String body = "{\"username\":\"" + name + "\",\"email\":\"" + name + "@example.com\",\"password\":\"" + PASSWORD + "\"}";
        RawHttp.Response rebound = RawHttp.send(port, "POST", "/api/auth/register",
                Map.of("Host", "evil.example:" + port, "Origin", "http://evil.example:" + port, "Content-Type", "application/json"),
                body);
        assertThat(rebound.status()).isEqualTo(421);
        assertThat(rebound.body()).contains("host_not_allowed");
        assertThat(rebound.header("Access-Control-Allow-Origin")).isNull();
        assertThat(RawHttp.send(port, "GET", "/", Map.of("Host", "evil.example:" + port), null).status()).isEqualTo(421);
        assertThat(RawHttp.send(port, "GET", "/ws/run", Map.of("Host", "evil.example:" + port, "Upgrade", "websocket",
                "Connection", "Upgrade", "Sec-WebSocket-Version", "13", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), null)
                .status()).isEqualTo(421);
        // The names and addresses the server answers to.
        for (String host : List.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST")) {
            assertThat(RawHttp.send(port, "GET", "/api/health", Map.of("Host", host), null).status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void configured_hosts_are_answered_and_their_own_origin_needs_no_cors(@TempDir Path otherData) {
        try (CloudRunServer named = start(otherData, Map.of("CLOUDRUN_ALLOWED_HOSTS", "ide.example.org"))) {
            int port = named.port();
            RawHttp.Response same = RawHttp.send(port, "GET", "/api/health",
                    Map.of("Host", "ide.example.org:" + port, "Origin", "http://ide.example.org:" + port), null);
            assertThat(same.status()).isEqualTo(200);
            assertThat(same.header("Access-Control-Allow-Origin")).isNull();
            assertThat(RawHttp.send(port, "GET", "/api/health", Map.of("Host", "other.example.org"), null).status()).isEqualTo(421);
        }
    }

    @Test
    void cors_headers_go_only_to_configured_origins() {
        ApiClient.Response foreign = api.send(api.request("/api/health", null).header("Origin", "https://evil.example").GET());
        assertThat(foreign.status()).isEqualTo(403);
        assertThat(foreign.header("Access-Control-Allow-Origin")).isEmpty();
        ApiClient.Response preflight = api.send(api.request("/api/auth/login", null).header("Origin", "https://evil.example")
                .header("Access-Control-Request-Method", "POST").method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(preflight.header("Access-Control-Allow-Origin")).isEmpty();
        // A page served by this server is same-origin: no CORS header needed, none sent.
        ApiClient.Response same = api.send(api.request("/api/health", null)
                .header("Origin", "http://127.0.0.1:" + server.port()).GET());
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.header("Access-Control-Allow-Origin")).isEmpty();
        // The development server's origin (Vite on another local port) is allowed, with CORS headers.
        ApiClient.Response development = api.send(api.request("/api/health", null).header("Origin", "http://localhost:5173").GET());
        assertThat(development.header("Access-Control-Allow-Origin")).contains("http://localhost:5173");
    }

    // ---- finding 4: security headers ----

    @Test
    void the_ide_and_the_api_carry_a_content_security_policy_and_cannot_be_framed() {
        for (String path : List.of("/", "/index.html", "/api/health", "/api/nothing-here")) {
            ApiClient.Response response = api.get(path, null);
            String policy = response.header("Content-Security-Policy").orElse("");
            assertThat(policy).as(path).contains("frame-ancestors 'none'").contains("default-src");
            assertThat(response.header("X-Frame-Options")).as(path).contains("DENY");
            assertThat(response.header("Referrer-Policy")).as(path).contains("no-referrer");
            assertThat(response.header("X-Content-Type-Options")).as(path).contains("nosniff");
        }
        String idePolicy = api.get("/", null).header("Content-Security-Policy").orElseThrow();
        assertThat(idePolicy).contains("script-src 'self'").doesNotContain("unsafe-eval").contains("object-src 'none'");
        assertThat(idePolicy.split("script-src")[1].split(";")[0]).doesNotContain("unsafe-inline");
        // The preview page runs users' HTML, so it is sandboxed (opaque origin) even when opened directly.
        ApiClient.Response preview = api.get("/preview.html", null);
        assertThat(preview.status()).isEqualTo(200);
        assertThat(preview.header("Content-Security-Policy").orElseThrow()).contains("sandbox allow-scripts")
                .doesNotContain("allow-same-origin").contains("frame-ancestors 'self'");
    }

    // ---- finding 5: login throttle by account and address ----

    @Test
    void guesses_count_per_account_whichever_identifier_is_typed_and_do_not_lock_the_owner_out(@TempDir Path otherData) {
        try (CloudRunServer limited = start(otherData, Map.of("CLOUDRUN_TRUSTED_PROXIES", "127.0.0.1",
                "CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000"))) {
            ApiClient client = new ApiClient("http://127.0.0.1:" + limited.port());
            String name = uniqueName();
            assertThat(register(client, name, name + "@example.com", Map.of()).status()).isEqualTo(201);
            Map<String, String> attacker = Map.of("X-Forwarded-For", "198.51.100.7");
            // 10 a minute, refilled evenly (one every 6 s): on a slow machine a token may come back
            // while the guesses' password hashes are computed, so count what the time allows.
            long started = System.nanoTime();
            int refused = 0;
            int guess = 0;
            while (guess < 40) {
                String login = guess % 2 == 0 ? name : name.toUpperCase() + "@EXAMPLE.COM";
                ApiClient.Response response = client.post("/api/auth/login", null,
                        Map.of("login", login, "password", "guess number " + guess), attacker);
                if (response.status() == 429) {
                    refused++;
                    break;
                }
                assertThat(response.status()).as("guess " + guess).isEqualTo(401);
                guess++;
            }
            long refills = Duration.ofNanos(System.nanoTime() - started).toSeconds() / 6 + 1;
            assertThat(refused).as("the guesses were throttled").isOne();
            assertThat(guess).as("guesses let through, by both identifiers together").isBetween(10, (int) (10 + refills));
            for (String login : List.of(name, name + "@example.com")) {
                ApiClient.Response throttled = client.post("/api/auth/login", null, Map.of("login", login, "password", PASSWORD),
                        attacker);
                assertThat(throttled.status()).as(login).isEqualTo(429);
                assertThat(throttled.errorCode()).isEqualTo("login_throttled");
            }
            // The owner, from another address, signs in with the right password.
            ApiClient.Response owner = client.post("/api/auth/login", null, Map.of("login", name, "password", PASSWORD),
                    Map.of("X-Forwarded-For", "203.0.113.9"));
            assertThat(owner.status()).as(owner.text()).isEqualTo(200);
        }
    }

    // ---- finding 6: tokens ----

    @Test
    void signed_tokens_without_an_expiry_or_an_issue_time_are_rejected() throws Exception {
        String subject = JWT.decode(guest()).getSubject();
        Algorithm key = Algorithm.HMAC256(secret());
        String noExpiry = JWT.create().withIssuer("cloudrun").withSubject(subject).withIssuedAt(Instant.now()).sign(key);
        String noIssuedAt = JWT.create().withIssuer("cloudrun").withSubject(subject)
                .withExpiresAt(Instant.now().plusSeconds(3600)).sign(key);
        String valid = JWT.create().withIssuer("cloudrun").withSubject(subject).withIssuedAt(Instant.now())
                .withExpiresAt(Instant.now().plusSeconds(3600)).sign(key);
        assertThat(api.get("/api/auth/me", valid).status()).isEqualTo(200);
        for (String token : List.of(noExpiry, noIssuedAt)) {
            assertThat(api.get("/api/auth/me", token).status()).isEqualTo(401);
            assertThat(api.post("/api/auth/refresh", token, Map.of()).status()).isEqualTo(401);
        }
    }

    @Test
    void forged_none_other_algorithm_expired_and_tampered_tokens_are_rejected_on_rest_and_websocket() throws Exception {
        String real = guest();
        String subject = JWT.decode(real).getSubject();
        Instant later = Instant.now().plusSeconds(3600);
        String forged = JWT.create().withIssuer("cloudrun").withSubject(subject).withIssuedAt(Instant.now()).withExpiresAt(later)
                .sign(Algorithm.HMAC256("not the server's secret at all, forged"));
        String none = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + base64Url("{\"iss\":\"cloudrun\",\"sub\":\""
                + subject + "\",\"iat\":" + Instant.now().getEpochSecond() + ",\"exp\":" + later.getEpochSecond() + "}") + ".";
        String hs512 = JWT.create().withIssuer("cloudrun").withSubject(subject).withIssuedAt(Instant.now()).withExpiresAt(later)
                .sign(Algorithm.HMAC512(secret()));
        String expired = JWT.create().withIssuer("cloudrun").withSubject(subject).withIssuedAt(Instant.now().minusSeconds(7200))
                .withExpiresAt(Instant.now().minusSeconds(60)).sign(Algorithm.HMAC256(secret()));
        String otherIssuer = JWT.create().withIssuer("someone-else").withSubject(subject).withIssuedAt(Instant.now())
                .withExpiresAt(later).sign(Algorithm.HMAC256(secret()));
        String tampered = real.substring(0, real.length() - 3) + (real.endsWith("A") ? "BBB" : "AAA");
        for (String token : List.of(forged, none, hs512, expired, otherIssuer, tampered, "", "Bearer", "a.b.c")) {
            assertThat(api.get("/api/projects", token).status()).as(token).isEqualTo(401);
            try (WsSession socket = WsSession.open(wsUrl + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))) {
                assertThat(socket.awaitClose(Duration.ofSeconds(15))).as(token).isEqualTo(4401);
            }
        }
    }

    @Test
    void refresh_cannot_extend_a_session_past_its_absolute_lifetime() throws Exception {
        String subject = JWT.decode(guest()).getSubject();
        Algorithm key = Algorithm.HMAC256(secret());
        Instant now = Instant.now();
        // Signed in 29 days and 23 hours ago, renewed since: the next renewal ends at the 30-day mark.
        String nearlyOld = JWT.create().withIssuer("cloudrun").withSubject(subject).withClaim("guest", true)
                .withIssuedAt(now.minusSeconds(60)).withExpiresAt(now.plus(Duration.ofDays(6)))
                .withClaim("auth_time", now.minus(Duration.ofDays(30)).plus(Duration.ofHours(1)).getEpochSecond()).sign(key);
        ApiClient.Response renewed = api.post("/api/auth/refresh", nearlyOld, Map.of());
        assertThat(renewed.status()).as(renewed.text()).isEqualTo(200);
        Instant expiry = JWT.decode(renewed.json().path("token").asText()).getExpiresAtAsInstant();
        assertThat(expiry).isBefore(now.plus(Duration.ofHours(2)));
        String tooOld = JWT.create().withIssuer("cloudrun").withSubject(subject).withClaim("guest", true)
                .withIssuedAt(now.minusSeconds(60)).withExpiresAt(now.plus(Duration.ofDays(6)))
                .withClaim("auth_time", now.minus(Duration.ofDays(31)).getEpochSecond()).sign(key);
        ApiClient.Response refused = api.post("/api/auth/refresh", tooOld, Map.of());
        assertThat(refused.status()).isEqualTo(401);
        assertThat(refused.errorCode()).isEqualTo("session_expired");
    }

    // ---- finding 7: sockets that never authenticate ----

    @Test
    void sockets_that_do_not_authenticate_are_closed_and_bounded_per_address(@TempDir Path otherData) {
        try (CloudRunServer limited = start(otherData, Map.of("CLOUDRUN_WS_AUTH_TIMEOUT_SECONDS", "1",
                "CLOUDRUN_WS_UNAUTHENTICATED_PER_IP", "3"))) {
            String url = "ws://127.0.0.1:" + limited.port() + "/ws/run";
            long started = System.nanoTime();
            try (WsSession silent = WsSession.open(url)) {
                assertThat(silent.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

            List<WsSession> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(WsSession.open(url));
                }
                try (WsSession fourth = WsSession.open(url)) {
                    assertThat(fourth.awaitClose(Duration.ofSeconds(5))).isEqualTo(4429);
                }
            } finally {
                open.forEach(WsSession::close);
            }
            // Authenticated sockets are not counted and not closed by the deadline.
            String token = guest(new ApiClient("http://127.0.0.1:" + limited.port()));
            try (WsSession authenticated = WsSession.open(url + "?token=" + token)) {
                assertThat(authenticated.next(Duration.ofSeconds(5)).path("type").asText()).isEqualTo("authenticated");
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() -> true);
                authenticated.send(Map.of("type", "ping"));
                assertThat(authenticated.next(Duration.ofSeconds(5)).path("type").asText()).isEqualTo("pong");
            }
        }
    }

    // ---- finding 8: the smaller ones ----

    @Test
    void odd_encodings_in_a_file_path_get_400_naming_the_path_never_500() {
        String token = guest();
        String project = api.post("/api/projects", token, Map.of("name", "paths")).json().path("id").asText();
        for (String path : List.of("%u002e%u002e/secret", "%u002e%u002e%u002fetc", "a%zz", "%", "..%2fx", "%c0%ae%c0%ae/x",
                "x%u202e.py")) {
            for (String method : List.of("GET", "PUT", "DELETE")) {
                RawHttp.Response response = RawHttp.send(server.port(), method, "/api/projects/" + project + "/files/" + path,
                        Map.of("Authorization", "Bearer " + token), method.equals("PUT") ? "x" : null);
                assertThat(response.status()).as(method + " " + path + ": " + response.body()).isIn(400, 404);
                if (response.status() == 400 && response.body().contains("invalid_path")) {
                    assertThat(response.body()).as(path).contains("\"field\":\"path\"");
                }
            }
        }
    }

    @Test
    void path_errors_quote_at_most_a_hundred_characters_of_the_path() {
        String token = guest();
        String huge = "a/".repeat(5000) + "..";
        ApiClient.Response response = api.post("/api/runs", token, Map.of("language", "python", "files", Map.of(huge, "x")));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.errorCode()).isEqualTo("invalid_path");
        assertThat(response.text().length()).isLessThan(400);
        ApiClient.Response project = api.post("/api/projects", token, Map.of("name", "long", "files", Map.of(huge, "x")));
        assertThat(project.status()).isEqualTo(400);
        assertThat(project.text().length()).isLessThan(400);
        ApiClient.Response endpoint = api.get("/api/" + "x".repeat(6_000), token);
        assertThat(endpoint.status()).isEqualTo(404);
        assertThat(endpoint.text().length()).isLessThan(400);
    }

    @Test
    void file_and_project_names_with_bidi_or_invisible_characters_are_refused() {
        String token = guest();
        String project = api.post("/api/projects", token, Map.of("name", "names")).json().path("id").asText();
        for (String name : List.of("innocent\u202Etxt.exe", "a\u202Ab.py", "a\u2066b.py", "a\u2069b.py", "zero\u200Bwidth.py",
                "line\u2028sep.py", "bom\uFEFF.py", "tab\tname.py")) {
            ApiClient.Response response = api.post("/api/projects/" + project + "/folders", token, Map.of("path", name));
            assertThat(response.status()).as(name).isEqualTo(400);
            assertThat(response.errorCode()).as(name).isEqualTo("invalid_path");
            assertThat(response.json().path("error").path("field").asText()).isEqualTo("path");
            ApiClient.Response inline = api.post("/api/runs", token, Map.of("language", "python", "files", Map.of(name, "x")));
            assertThat(inline.status()).as(name).isEqualTo(400);
            ApiClient.Response named = api.post("/api/projects", token, Map.of("name", "evil" + name));
            assertThat(named.status()).as(name).isEqualTo(400);
        }
    }

    @Test
    void a_run_with_too_many_arguments_is_refused_naming_args() {
        String token = guest();
        List<String> many = java.util.Collections.nCopies(100_000, "x");
        ApiClient.Response response = api.post("/api/runs", token, Map.of("language", "python", "source", "print(1)", "args", many));
        assertThat(response.status()).isEqualTo(400);
        assertThat(response.json().path("error").path("field").asText()).isEqualTo("args");
        List<String> huge = List.of("y".repeat(70_000));
        ApiClient.Response large = api.post("/api/runs", token, Map.of("language", "python", "source", "print(1)", "args", huge));
        assertThat(large.status()).isEqualTo(400);
        assertThat(large.json().path("error").path("field").asText()).isEqualTo("args");
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "language", "python", "source", "print(1)",
                    "args", java.util.Collections.nCopies(1001, "x")));
            JsonNode error = socket.untilType("error", Duration.ofSeconds(5)).get(0);
            assertThat(error.path("field").asText()).isEqualTo("args");
        }
    }

    @Test
    void the_database_and_the_secret_are_readable_by_their_owner_only() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwx------");
        for (String file : List.of("cloudrun.db", "cloudrun.db-wal", "cloudrun.db-shm", "jwt-secret")) {
            Path path = dataDir.resolve(file);
            assertThat(path).as(file).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).as(file).isEqualTo("rw-------");
        }
    }

    @Test
    void a_socket_whose_user_was_deleted_gets_4401_not_an_internal_error() throws Exception {
        String token = guest();
        String userId = JWT.decode(token).getSubject();
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
            assertThat(socket.next(Duration.ofSeconds(5)).path("type").asText()).isEqualTo("authenticated");
            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("cloudrun.db"));
                 PreparedStatement delete = connection.prepareStatement("DELETE FROM users WHERE id = ?")) {
                connection.createStatement().execute("PRAGMA foreign_keys = ON");
                connection.createStatement().execute("PRAGMA busy_timeout = 10000");
                delete.setString(1, userId);
                assertThat(delete.executeUpdate()).isEqualTo(1);
            }
            socket.send(Map.of("type", "start", "language", "python", "source", "print(1)"));
            JsonNode error = socket.untilType("error", Duration.ofSeconds(10)).get(0);
            assertThat(error.path("code").asText()).isEqualTo("unauthorized");
            assertThat(socket.awaitClose(Duration.ofSeconds(5))).isEqualTo(4401);
        }
    }

    // ---- what held: IDOR, traversal, injection, XSS, WebSocket hijacking, floods ----

    @Test
    void another_user_can_neither_read_nor_change_nor_delete_a_users_projects_files_or_runs() {
        String alice = account(uniqueName());
        String mallory = guest();
        String project = api.post("/api/projects", alice, Map.of("name", "secret work", "language", "python",
                "files", Map.of("main.py", "print('alice')"), "entry", "main.py")).json().path("id").asText();
        ApiClient.Response run = api.post("/api/runs", alice, Map.of("projectId", project));
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        String runId = run.json().path("runId").asText(run.json().path("id").asText());
        String base = "/api/projects/" + project;

        assertThat(api.get(base, mallory).status()).isEqualTo(404);
        assertThat(api.get(base + "/files", mallory).status()).isEqualTo(404);
        assertThat(api.get(base + "/files/main.py", mallory).status()).isEqualTo(404);
        assertThat(api.put(base + "/files/main.py", mallory, "print('pwned')".getBytes(StandardCharsets.UTF_8)).status())
                .isEqualTo(404);
        assertThat(api.patch(base, mallory, Map.of("name", "mine now")).status()).isEqualTo(404);
        assertThat(api.post(base + "/folders", mallory, Map.of("path", "x")).status()).isEqualTo(404);
        assertThat(api.post(base + "/move", mallory, Map.of("from", "main.py", "to", "gone.py")).status()).isEqualTo(404);
        assertThat(api.delete(base + "/files/main.py", mallory).status()).isEqualTo(404);
        assertThat(api.delete(base, mallory).status()).isEqualTo(404);
        assertThat(api.post("/api/runs", mallory, Map.of("projectId", project)).status()).isEqualTo(404);
        assertThat(api.get("/api/runs/" + runId, mallory).status()).isEqualTo(404);
        assertThat(api.get("/api/runs", mallory).json().toString()).doesNotContain(runId).doesNotContain(project);
        assertThat(api.get("/api/projects", mallory).json().toString()).doesNotContain(project);
        try (WsSession socket = WsSession.open(wsUrl + "?token=" + mallory)) {
            socket.next(Duration.ofSeconds(5));
            socket.send(Map.of("type", "start", "projectId", project));
            assertThat(socket.untilType("error", Duration.ofSeconds(10)).get(0).path("code").asText()).isEqualTo("not_found");
        }
        // The AI assistant answers only to a valid token.
        assertThat(api.post("/api/ai/assist", null, Map.of("action", "explain", "code", "print(1)")).status()).isEqualTo(401);
        // Alice's things are intact.
        assertThat(api.get(base + "/files/main.py", alice).text()).isEqualTo("print('alice')");
        assertThat(api.get(base, alice).json().path("name").asText()).isEqualTo("secret work");
        assertThat(api.get("/api/runs/" + runId, alice).status()).isEqualTo(200);
    }

    @Test
    void traversal_paths_are_refused_wherever_a_path_is_given() {
        String token = guest();
        String project = api.post("/api/projects", token, Map.of("name", "traversal")).json().path("id").asText();
        String base = "/api/projects/" + project;
        for (String path : List.of("../etc/passwd", "a/../../b", "/etc/passwd", "~/x", "a\\..\\b", "a/%2e%2e/b", "./../x", "a//b",
                "nul\u0000byte")) {
            assertThat(api.post(base + "/folders", token, Map.of("path", path)).status()).as(path).isEqualTo(400);
            assertThat(api.post(base + "/move", token, Map.of("from", "x", "to", path)).status()).as(path).isIn(400, 404);
            assertThat(api.post("/api/runs", token, Map.of("language", "python", "files", Map.of(path, "x"))).status())
                    .as(path).isEqualTo(400);
        }
        for (String path : List.of("..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "a/%2e%2e%2f%2e%2e%2fb")) {
            RawHttp.Response response = RawHttp.send(server.port(), "GET", base + "/files/" + path,
                    Map.of("Authorization", "Bearer " + token), null);
            assertThat(response.status()).as(path).isIn(400, 404);
            assertThat(response.body()).doesNotContain("root:");
        }
    }

    @Test
    void sql_in_names_and_queries_is_stored_as_text() {
        String token = guest();
        String injection = "x'); DROP TABLE projects; --";
        ApiClient.Response created = api.post("/api/projects", token, Map.of("name", injection));
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("name").asText()).isEqualTo(injection);
        String project = created.json().path("id").asText();
        assertThat(api.put("/api/projects/" + project + "/files/" + URLEncoder.encode("a' OR '1'='1.py", StandardCharsets.UTF_8)
                .replace("+", "%20"), token, "x".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);
        assertThat(api.get("/api/projects/" + URLEncoder.encode("' OR '1'='1", StandardCharsets.UTF_8), token).status())
                .isEqualTo(404);
        assertThat(api.get("/api/runs?limit=1%20OR%201=1", token).status()).isEqualTo(400);
        assertThat(api.post("/api/auth/login", null, Map.of("login", "' OR '1'='1' --", "password", "' OR '1'='1")).status())
                .isEqualTo(401);
        assertThat(api.get("/api/projects", token).json().path("projects").size()).isEqualTo(1);
        assertThat(api.get("/api/projects/" + project + "/files", token).json().toString()).contains("a' OR '1'='1.py");
    }

    @Test
    void script_in_names_and_output_comes_back_as_json_never_as_html() {
        String token = guest();
        String script = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>";
        ApiClient.Response created = api.post("/api/projects", token, Map.of("name", script,
                "files", Map.of("main.py", "print('" + script + "')")));
        assertThat(created.status()).isEqualTo(201);
        String project = created.json().path("id").asText();
        for (ApiClient.Response response : List.of(created, api.get("/api/projects", token), api.get("/api/projects/" + project, token),
                api.post("/api/runs", token, Map.of("projectId", project, "entry", "main.py", "language", "python")))) {
            assertThat(response.header("Content-Type").orElseThrow()).startsWith("application/json");
            assertThat(response.header("X-Content-Type-Options")).contains("nosniff");
            assertThat(response.header("Content-Security-Policy").orElseThrow()).contains("default-src 'none'");
            assertThat(response.json().toString()).contains("<script>");
        }
        ApiClient.Response file = api.get("/api/projects/" + project + "/files/main.py", token);
        assertThat(file.header("Content-Type").orElseThrow()).doesNotContain("html");
        ApiClient.Response notFound = api.get("/api/" + URLEncoder.encode(script, StandardCharsets.UTF_8), token);
        assertThat(notFound.header("Content-Type").orElseThrow()).startsWith("application/json");
    }

    @Test
    void websockets_from_foreign_origins_are_refused() {
        String token = guest();
        for (String origin : List.of("http://evil.example", "https://evil.example", "null", "http://127.0.0.1.evil.example")) {
            assertThatThrownBy(() -> WsSession.open(wsUrl + "?token=" + token, origin)).as(origin)
                    .isInstanceOf(CompletionException.class).hasCauseInstanceOf(WebSocketHandshakeException.class);
        }
    }

    @Test
    void a_flood_from_one_address_is_answered_with_429s(@TempDir Path otherData) {
        try (CloudRunServer limited = start(otherData, Map.of("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100"))) {
            ApiClient client = new ApiClient("http://127.0.0.1:" + limited.port());
            int refused = 0;
            for (int request = 0; request < 200; request++) {
                ApiClient.Response response = request % 2 == 0 ? client.get("/api/health", null)
                        : client.get("/api/projects", "not-a-token");
                if (response.status() == 429) {
                    refused++;
                    assertThat(response.header("Retry-After")).isPresent();
                }
            }
            assertThat(refused).isGreaterThanOrEqualTo(99);
        }
    }
}
