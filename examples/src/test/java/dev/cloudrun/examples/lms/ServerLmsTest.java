package dev.cloudrun.examples.lms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ServerLms against a real server started in-process (SQLite, the local sandbox, callbacks to
 * loopback allowed): every callback arrives and verifies, the verdicts are right, and a callback
 * whose body was changed on the way is refused.
 */
class ServerLmsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void every_callback_arrives_signed_with_the_right_verdict_and_a_tampered_one_is_refused(@TempDir Path dataDir)
            throws Exception {
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_CALLBACK_ALLOW_PRIVATE", "true"))).start()) {
            URI url = URI.create("http://127.0.0.1:" + server.port());
            JsonNode key = newKey(url);
            try (ServerLms lms = new ServerLms(url, key.path("key").asText(), key.path("signingSecret").asText(), grade -> { })) {
                String problem = lms.createProblem(ServerLms.sumProblem());
                List<String> ids = lms.submit(problem, ServerLms.sampleSolutions());
                Map<String, ServerLms.Grade> grades = lms.awaitGrades(ids, Duration.ofMinutes(3));

                assertThat(grades.values()).extracting(ServerLms.Grade::verdict)
                        .containsExactly("ACCEPTED", "WRONG_ANSWER", "ACCEPTED", "COMPILE_ERROR");
                assertThat(grades.values()).extracting(ServerLms.Grade::student).containsExactly("ada", "brian", "grace", "linus");
                assertThat(grades.values()).extracting(ServerLms.Grade::score).containsExactly(4.0, 2.0, 4.0, 0.0);
                assertThat(lms.deliveries()).hasSizeGreaterThanOrEqualTo(4).allMatch(ServerLms.Delivery::verified);

                ServerLms.Delivery genuine = lms.deliveries().get(0);
                byte[] tampered = new String(genuine.body(), StandardCharsets.UTF_8)
                        .replaceFirst("\"score\":[0-9.]+", "\"score\":100.0").getBytes(StandardCharsets.UTF_8);
                assertThat(tampered).isNotEqualTo(genuine.body());
                assertThat(ServerLms.verify(key.path("signingSecret").asText(), genuine.timestamp(), genuine.signature(),
                        tampered, Instant.now())).isFalse();
                assertThat(ServerLms.verify(key.path("signingSecret").asText(), genuine.timestamp(), genuine.signature(),
                        genuine.body(), Instant.now().plus(Duration.ofMinutes(6)))).as("replayed late").isFalse();
                assertThat(ServerLms.verify("whsec_someone_else", genuine.timestamp(), genuine.signature(),
                        genuine.body(), Instant.now())).isFalse();

                HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(lms.callbackUrl())
                        .header("X-CloudRun-Timestamp", genuine.timestamp()).header("X-CloudRun-Signature", genuine.signature())
                        .POST(HttpRequest.BodyPublishers.ofByteArray(tampered)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(401);
                assertThat(lms.awaitGrades(ids, Duration.ZERO).values()).extracting(ServerLms.Grade::score)
                        .containsExactly(4.0, 2.0, 4.0, 0.0);
            }
        }
    }

    /** Signs up and makes a key with the grade scope, as a person would in the web app. */
    static JsonNode newKey(URI server) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String token = JSON.readTree(send(http, server, "/api/auth/register", null, Map.of("username", "lms",
                "email", "lms@example.com", "password", "a long grading password"))).path("token").asText();
        return JSON.readTree(send(http, server, "/api/keys", token, Map.of("name", "lms", "scopes", List.of("grade"))));
    }

    private static String send(HttpClient http, URI server, String path, String token, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return response.body();
    }
}
