package dev.cloudrun.server.compat.piston;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Anonymous Piston callers are one guest per address, held to a guest's quotas, refused in Piston's shape. */
class PistonQuotaTest {
    @Test
    void an_anonymous_address_over_its_concurrent_runs_gets_429_with_retry_after(@TempDir Path dataDir) throws Exception {
        Map<String, String> settings = Map.of("CLOUDRUN_PORT", "0", "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local", "CLOUDRUN_COMPAT", "piston", "CLOUDRUN_GUEST_CONCURRENT_RUNS", "1");
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(settings)).start();
             PistonWs ws = PistonWs.open("ws://127.0.0.1:" + server.port() + "/api/v2/connect")) {
            ws.send(Map.of("type", "init", "language", "bash", "version", "*", "files", List.of(Map.of("content", "cat"))));
            ws.untilType("stage", Duration.ofSeconds(60));

            HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/api/v2/execute"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(PistonWs.write(Map.of("language", "python", "version", "*",
                            "files", List.of(Map.of("content", "print(1)"))))))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            JsonNode body = new ObjectMapper().readTree(refused.body());
            assertThat(body.path("message").asText()).contains("run(s) going");
        }
    }
}
