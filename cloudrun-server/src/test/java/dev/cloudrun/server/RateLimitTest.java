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

    private static CloudRunServer start(Path dataDir, Map<String, String> overrides) {
        Map<String, String> settings = new java.util.HashMap<>(overrides);
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        return CloudRunServer.create(ServerConfig.of(settings)).start();
    }
}
