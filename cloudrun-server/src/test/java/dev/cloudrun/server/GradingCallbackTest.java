package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.server.config.ServerConfig;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished submission is posted to its callback URL, signed: a real local receiver checks the
 * signature the way docs/grader.md tells clients to (HMAC-SHA256 of {@code timestamp.body} under the
 * key's signing secret), and the submission shows the delivered attempt. Without the operator's
 * permission, a callback URL on this host is refused when the submission is made.
 */
class GradingCallbackTest {

    record Received(String signature, String timestamp, String submission, byte[] body) { }

    @Test
    void a_finished_submission_is_posted_signed_to_its_callback_and_the_attempt_is_recorded(@TempDir Path dataDir)
            throws Exception {
        List<Received> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            received.add(new Received(exchange.getRequestHeaders().getFirst("X-CloudRun-Signature"),
                    exchange.getRequestHeaders().getFirst("X-CloudRun-Timestamp"),
                    exchange.getRequestHeaders().getFirst("X-CloudRun-Submission"), exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        receiver.start();
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_CALLBACK_ALLOW_PRIVATE", "true"))).start()) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String session = GradingApiTest.register(api, "hooked");
            ApiClient.Response key = api.post("/api/keys", session, Map.of("name", "lms"));
            String token = key.json().path("key").asText();
            String signingSecret = key.json().path("signingSecret").asText();
            assertThat(signingSecret).startsWith("whsec_");
            assertThat(api.get("/api/keys", session).text()).doesNotContain(signingSecret).doesNotContain(token);

            String callbackUrl = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
            ApiClient.Response submitted = api.post("/api/submissions", token, Map.of("language", "python",
                    "source", GradingApiTest.SUM_PY, "suite", GradingApiTest.sumSuite(), "callbackUrl", callbackUrl));
            assertThat(submitted.status()).as(submitted.text()).isEqualTo(202);
            String id = submitted.json().path("id").asText();

            await().atMost(Duration.ofSeconds(90)).until(() -> !received.isEmpty());
            Received call = received.get(0);
            assertThat(call.submission()).isEqualTo(id);
            JsonNode body = ApiClient.MAPPER.readTree(call.body());
            assertThat(body.path("id").asText()).isEqualTo(id);
            assertThat(body.path("verdict").asText()).isEqualTo("ACCEPTED");
            assertThat(body.path("report").path("cases")).hasSize(3);

            // The receiver's check, as docs/grader.md writes it.
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(signingSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((call.timestamp() + ".").getBytes(StandardCharsets.UTF_8));
            String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(call.body()));
            assertThat(MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                    call.signature().getBytes(StandardCharsets.UTF_8))).isTrue();
            assertThat(Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(call.timestamp()))).isLessThan(300);
            // Another key's secret does not verify.
            mac.init(new SecretKeySpec("whsec_someone_else".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((call.timestamp() + ".").getBytes(StandardCharsets.UTF_8));
            assertThat("sha256=" + HexFormat.of().formatHex(mac.doFinal(call.body()))).isNotEqualTo(call.signature());

            assertThat(verifiedByTheDocsPython(signingSecret, call)).isEqualTo("True");
            assertThat(verifiedByTheDocsPython(signingSecret, new Received(call.signature(), call.timestamp(), call.submission(),
                    (new String(call.body(), StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8)))).isEqualTo("False");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode callback = api.get("/api/submissions/" + id, token).json().path("callback");
                assertThat(callback.path("state").asText()).isEqualTo("DELIVERED");
                assertThat(callback.path("attempts")).hasSize(1);
                assertThat(callback.path("attempts").get(0).path("statusCode").asInt()).isEqualTo(204);
            });
            assertThat(received).hasSize(1);
        } finally {
            receiver.stop(0);
        }
    }

    /** Runs docs/grader.md's Python {@code verify} on a received callback. */
    private static String verifiedByTheDocsPython(String secret, Received call) throws Exception {
        String docs = Files.readString(Path.of("..", "docs", "grader.md"));
        int marker = docs.indexOf("<!-- verify-python -->");
        int start = docs.indexOf("```python\n", marker) + "```python\n".length();
        String function = docs.substring(start, docs.indexOf("```", start));
        Path body = Files.createTempFile("callback", ".json");
        Files.write(body, call.body());
        String script = function + "\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], sys.argv[3], open(sys.argv[4], 'rb').read()))\n";
        Process python = new ProcessBuilder("/usr/bin/python3", "-c", script, secret, call.timestamp(), call.signature(),
                body.toString()).redirectErrorStream(true).start();
        String printed = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        python.waitFor();
        Files.delete(body);
        return printed;
    }

    @Test
    void a_callback_to_this_host_is_refused_unless_the_operator_allows_private_callbacks(@TempDir Path dataDir) {
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local"))).start()) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String token = GradingApiTest.makeKey(api, GradingApiTest.register(api, "fenced"), List.of("grade"));
            for (String url : List.of("http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://169.254.169.254/latest",
                    "http://[::1]:9/", "http://10.0.0.1/")) {
                ApiClient.Response refused = api.post("/api/submissions", token, Map.of("language", "python",
                        "source", "print(1)", "suite", GradingApiTest.sumSuite(), "callbackUrl", url));
                assertThat(refused.status()).as(url + ": " + refused.text()).isEqualTo(400);
                assertThat(refused.json().path("error").path("field").asText()).isEqualTo("callbackUrl");
            }
            assertThat(api.get("/api/submissions", token).json().path("submissions")).isEmpty();
        }
    }
}
