package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped and started again under a running server (a private PostgreSQL, never the
 * shared one): while it is down every request that needs it gets a quick 503
 * {@code database_unavailable} in the JSON error shape, {@code /api/health} says the database is
 * down, and once it is back the same server answers again, with its data, without a restart.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PostgresRestartTest {

    @Test
    void a_stopped_database_gives_clear_503s_and_the_server_recovers_when_it_is_back(@TempDir Path dataDir) throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private PostgreSQL as the postgres user and must run as root").isZero();
        try (PrivatePostgres postgres = PrivatePostgres.start();
             CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                     "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local", "DATABASE_URL", postgres.url())))
                     .start()) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String token = api.post("/api/auth/register", null, Map.of("username", "steady", "email", "steady@example.com",
                    "password", "database restart password")).json().path("token").asText();
            String projectId = api.post("/api/projects", token, Map.of("name", "kept", "language", "python",
                    "files", Map.of("main.py", "print('kept')"), "entry", "main.py")).json().path("id").asText();
            assertThat(api.get("/api/health", null).json().path("database").path("status").asText()).isEqualTo("up");

            postgres.stopServer();

            ApiClient.Response health = api.get("/api/health", null);
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().path("database").path("status").asText()).isEqualTo("down");
            for (ApiClient.Response down : new ApiClient.Response[] {
                    api.get("/api/projects", token),
                    api.get("/api/projects/" + projectId + "/files/main.py", token),
                    api.put("/api/projects/" + projectId + "/files/new.py", token, "print(1)".getBytes(StandardCharsets.UTF_8)),
                    api.post("/api/auth/login", null, Map.of("login", "steady", "password", "database restart password")),
                    api.post("/api/auth/register", null, Map.of("username", "later", "email", "later@example.com",
                            "password", "database restart password"))}) {
                assertThat(down.status()).as(down.text()).isEqualTo(503);
                assertThat(down.errorCode()).isEqualTo("database_unavailable");
                assertThat(down.header("Retry-After")).isPresent();
                assertThat(down.text()).doesNotContain("Exception", "\tat ", "SQL");
            }
            long started = System.nanoTime();
            assertThat(api.get("/api/projects", token).status()).isEqualTo(503);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("a down database fails requests quickly")
                    .isLessThan(Duration.ofSeconds(10));

            postgres.startServer();

            await("the server answers again without a restart").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> api.get("/api/projects", token).status() == 200);
            JsonNode recovered = api.get("/api/health", null).json();
            assertThat(recovered.path("database").path("status").asText()).isEqualTo("up");
            assertThat(api.get("/api/projects/" + projectId + "/files/main.py", token).text()).isEqualTo("print('kept')");
            assertThat(api.put("/api/projects/" + projectId + "/files/new.py", token, "print(1)".getBytes(StandardCharsets.UTF_8))
                    .status()).isEqualTo(200);
            assertThat(api.post("/api/auth/login", null, Map.of("login", "steady", "password", "database restart password"))
                    .status()).isEqualTo(200);
        }
    }
}
