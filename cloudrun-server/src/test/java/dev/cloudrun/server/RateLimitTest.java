package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-IP request rate, login throttling and run rate limits answer 429 with Retry-After. */
class RateLimitTest {

    @Test
    void too_many_requests_from_one_address_get_429_with_retry_after(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "5"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            for (int request = 0; request < 5; request++) {
                assertThat(api.get("/api/health", null).status()).isEqualTo(200);
            }
            ApiClient.Response limited = api.get("/api/health", null);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.errorCode()).isEqualTo("rate_limited");
            assertThat(Integer.parseInt(limited.header("Retry-After").orElseThrow())).isBetween(1, 60);
        }
    }

    @Test
    void behind_a_trusted_proxy_limits_count_per_client_not_per_proxy(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "2",
                "CLOUDRUN_TRUSTED_PROXIES", "127.0.0.1"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            Map<String, String> first = Map.of("X-Forwarded-For", "198.51.100.1");
            assertThat(api.post("/api/auth/guest", null, Map.of(), first).status()).isEqualTo(201);
            assertThat(api.post("/api/auth/guest", null, Map.of(), first).status()).isEqualTo(201);
            ApiClient.Response limited = api.post("/api/auth/guest", null, Map.of(), first);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.errorCode()).isEqualTo("guest_throttled");
            // Another client behind the same proxy has its own allowance.
            assertThat(api.post("/api/auth/guest", null, Map.of(), Map.of("X-Forwarded-For", "198.51.100.2")).status())
                    .isEqualTo(201);
        }
    }

    @Test
    void without_trusted_proxies_a_forwarded_for_header_changes_nothing(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "2"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            for (String spoofed : new String[] {"198.51.100.1", "198.51.100.2"}) {
                assertThat(api.post("/api/auth/guest", null, Map.of(), Map.of("X-Forwarded-For", spoofed)).status()).isEqualTo(201);
            }
            assertThat(api.post("/api/auth/guest", null, Map.of(), Map.of("X-Forwarded-For", "198.51.100.3")).status())
                    .isEqualTo(429);
        }
    }

    @Test
    void login_attempts_are_throttled_per_account(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE", "3"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            for (int attempt = 0; attempt < 3; attempt++) {
                assertThat(api.post("/api/auth/login", null, Map.of("login", "victim", "password", "guess " + attempt)).status())
                        .isEqualTo(401);
            }
            ApiClient.Response throttled = api.post("/api/auth/login", null, Map.of("login", "VICTIM", "password", "guess"));
            assertThat(throttled.status()).isEqualTo(429);
            assertThat(throttled.errorCode()).isEqualTo("login_throttled");
            assertThat(throttled.header("Retry-After")).isPresent();
            // Another account is not affected.
            assertThat(api.post("/api/auth/login", null, Map.of("login", "someone-else", "password", "guess")).status()).isEqualTo(401);
        }
    }

    @Test
    void runs_per_minute_are_limited_per_user(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_GUEST_RUNS_PER_MINUTE", "2"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String token = api.post("/api/auth/guest", null, Map.of()).json().path("token").asText();
            Map<String, String> run = Map.of("language", "python", "source", "print('ok')");
            assertThat(api.post("/api/runs", token, run).json().path("status").asText()).isEqualTo("OK");
            assertThat(api.post("/api/runs", token, run).json().path("status").asText()).isEqualTo("OK");
            ApiClient.Response limited = api.post("/api/runs", token, run);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.errorCode()).isEqualTo("run_rate_limit");
            assertThat(limited.header("Retry-After")).isPresent();
            // A different user has their own quota.
            String other = api.post("/api/auth/guest", null, Map.of()).json().path("token").asText();
            assertThat(api.post("/api/runs", other, run).status()).isEqualTo(200);
        }
    }

    @Test
    void uploads_are_limited_in_size_and_count(@TempDir Path dataDir) {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_MAX_FILE_BYTES", "1000", "CLOUDRUN_MAX_PROJECT_FILES", "3",
                "CLOUDRUN_MAX_PROJECT_BYTES", "2500"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String token = api.post("/api/auth/guest", null, Map.of()).json().path("token").asText();
            String base = "/api/projects/" + api.post("/api/projects", token, Map.of("name", "small")).json().path("id").asText();
            ApiClient.Response tooBig = api.put(base + "/files/big.bin", token, new byte[1001]);
            assertThat(tooBig.status()).isEqualTo(413);
            assertThat(tooBig.errorCode()).isEqualTo("file_too_large");
            assertThat(api.put(base + "/files/a.bin", token, new byte[1000]).status()).isEqualTo(200);
            assertThat(api.put(base + "/files/b.bin", token, new byte[1000]).status()).isEqualTo(200);
            assertThat(api.put(base + "/files/c.bin", token, new byte[1000]).errorCode()).isEqualTo("project_too_large");
            assertThat(api.put(base + "/files/c.bin", token, new byte[10]).status()).isEqualTo(200);
            assertThat(api.put(base + "/files/d.bin", token, new byte[10]).errorCode()).isEqualTo("too_many_files");
            assertThat(api.put(base + "/files/a.bin", token, new byte[5]).status()).isEqualTo(200);
        }
    }

    @Test
    void the_server_deadline_cancels_runs_and_pings_keep_idle_sockets_open(@TempDir Path dataDir) throws Exception {
        try (CloudRunServer server = start(dataDir, Map.of("CLOUDRUN_RUN_DEADLINE_SECONDS", "2",
                "CLOUDRUN_WS_IDLE_TIMEOUT_SECONDS", "2", "CLOUDRUN_WS_PING_SECONDS", "1"))) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String token = api.post("/api/auth/guest", null, Map.of()).json().path("token").asText();
            long started = System.nanoTime();
            ApiClient.Response run = api.post("/api/runs", token, Map.of("language", "python",
                    "source", "import time\ntime.sleep(30)\n", "limits", Map.of("wallTimeMs", 40_000)));
            assertThat(run.json().path("status").asText()).isEqualTo("CANCELLED");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofSeconds(15));

            try (WsSession socket = WsSession.open("ws://127.0.0.1:" + server.port() + "/ws/run?token=" + token)) {
                assertThat(socket.next(java.time.Duration.ofSeconds(5)).path("type").asText()).isEqualTo("authenticated");
                // Silent for twice the idle timeout: only the server's pings (and our client's pongs) keep it open.
                Thread.sleep(4_000);
                socket.send(Map.of("type", "ping"));
                assertThat(socket.next(java.time.Duration.ofSeconds(5)).path("type").asText()).isEqualTo("pong");
            }
        }
    }

    private static CloudRunServer start(Path dataDir, Map<String, String> overrides) {
        Map<String, String> settings = new java.util.HashMap<>(overrides);
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        return CloudRunServer.create(ServerConfig.of(settings)).start();
    }
}
