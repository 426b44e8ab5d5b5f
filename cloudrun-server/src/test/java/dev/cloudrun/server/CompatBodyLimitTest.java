package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.config.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A 50 MB body sent to each compatible API (with a length, and chunked without one) is refused at the
 * edge in that API's own error shape, the connection ends instead of hanging, and no run starts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompatBodyLimitTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int FIFTY_MB = 50 * 1024 * 1024;

    /** Each facade: where a run is posted, how its key is sent, and how it writes an error. */
    enum Facade {
        JUDGE0("/judge0/submissions", "X-Auth-Token", "") {
            @Override
            void assertShape(JsonNode body) {
                assertThat(body.isObject()).as(body.toString()).isTrue();
                assertThat(body.fieldNames()).toIterable().containsExactly("error");
                assertThat(body.path("error").asText()).startsWith("the request body is larger than ");
            }
        },
        PISTON("/api/v2/execute", "Authorization", "Bearer ") {
            @Override
            void assertShape(JsonNode body) {
                assertThat(body.isObject()).as(body.toString()).isTrue();
                assertThat(body.fieldNames()).toIterable().containsExactly("message");
                assertThat(body.path("message").asText()).startsWith("the request body is larger than ");
            }
        },
        JOBE("/jobe/index.php/restapi/runs", "X-API-KEY", "") {
            @Override
            void assertShape(JsonNode body) {
                assertThat(body.isTextual()).as(body.toString()).isTrue();
                assertThat(body.asText()).startsWith("the request body is larger than ");
            }
        };

        final String path;
        final String keyHeader;
        final String keyPrefix;

        Facade(String path, String keyHeader, String keyPrefix) {
            this.path = path;
            this.keyHeader = keyHeader;
            this.keyPrefix = keyPrefix;
        }

        abstract void assertShape(JsonNode body);
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private CloudRunServer server;
    private String session;
    private String key;

    @BeforeAll
    void start(@TempDir Path dataDir) throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        settings.put("CLOUDRUN_COMPAT", "jobe,piston,judge0");
        server = CloudRunServer.create(ServerConfig.of(settings)).start();
        HttpResponse<String> registered = post("/api/auth/register", Map.of("username", "huge", "email", "huge@example.com",
                "password", "a long enough password"), Map.of());
        assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
        session = MAPPER.readTree(registered.body()).path("token").asText();
        HttpResponse<String> made = post("/api/keys", Map.of("name", "huge", "scopes", List.of("run")),
                Map.of("Authorization", "Bearer " + session));
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        key = MAPPER.readTree(made.body()).path("key").asText();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @ParameterizedTest
    @EnumSource(Facade.class)
    void a_50_mb_body_with_a_length_is_refused_in_the_facades_shape(Facade facade) throws Exception {
        byte[] body = hugeSubmission();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + facade.path))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .header(facade.keyHeader, facade.keyPrefix + key)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(413);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        facade.assertShape(MAPPER.readTree(response.body()));
        assertNothingRan();
    }

    @ParameterizedTest
    @EnumSource(Facade.class)
    void a_50_mb_chunked_body_is_cut_in_the_facades_shape_and_the_connection_ends(Facade facade) throws Exception {
        AtomicLong sent = new AtomicLong();
        String answer;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
            // Not a timing assertion: a generous bound that turns a hang into a failure.
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + facade.path + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    + facade.keyHeader + ": " + facade.keyPrefix + key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            Thread writer = new Thread(() -> writeChunked(out, sent), "chunked-writer");
            writer.setDaemon(true);
            writer.start();
            answer = readResponse(socket.getInputStream());
            writer.join(30_000);
            assertThat(writer.isAlive()).as("the writer saw the connection end").isFalse();
        }
        assertThat(sent.get()).as("the server stopped reading long before 50 MB").isLessThan(FIFTY_MB);
        assertThat(answer).startsWith("HTTP/1.1 413 ");
        String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
        if (answer.toLowerCase().contains("transfer-encoding: chunked")) {
            body = unchunk(body);
        }
        facade.assertShape(MAPPER.readTree(body));
        assertNothingRan();
    }

    private void assertNothingRan() throws Exception {
        HttpRequest history = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/runs"))
                .header("Authorization", "Bearer " + session).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<String> runs = http.send(history, HttpResponse.BodyHandlers.ofString());
        assertThat(runs.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(runs.body()).path("runs")).as("the run history").isEmpty();
        HttpRequest judge0 = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/judge0/submissions"))
                .header("X-Auth-Token", key).timeout(Duration.ofSeconds(30)).build();
        HttpResponse<String> listed = http.send(judge0, HttpResponse.BodyHandlers.ofString());
        assertThat(MAPPER.readTree(listed.body()).path("meta").path("total_count").asInt()).as("Judge0's stored submissions").isZero();
    }

    /** A Jobe, Piston and Judge0 request at once: their fields do not clash, and the source is 50 MB. */
    private static byte[] hugeSubmission() {
        byte[] body = new byte[FIFTY_MB];
        byte[] head = "{\"language_id\":71,\"language\":\"python\",\"version\":\"*\",\"source_code\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}".getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(body, (byte) '#');
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(tail, 0, body, body.length - tail.length, tail.length);
        return body;
    }

    private static void writeChunked(OutputStream out, AtomicLong sent) {
        byte[] chunk = new byte[64 * 1024];
        Arrays.fill(chunk, (byte) '#');
        byte[] head = "{\"language_id\":71,\"source_code\":\"".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, chunk, 0, head.length);
        byte[] size = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        try {
            while (sent.get() < FIFTY_MB) {
                out.write(size);
                out.write(chunk);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                sent.addAndGet(chunk.length);
                Arrays.fill(chunk, 0, head.length, (byte) '#');
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // The server answered and closed: what the test expects.
        }
    }

    /** Reads the status line, headers and a body with Content-Length, or up to the end of the stream. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int headEnd = -1;
        long contentLength = -1;
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (java.net.SocketException e) {
                // A reset after the answer arrived (the rest of our body was refused).
                break;
            }
            if (n < 0) {
                break;
            }
            read.write(buffer, 0, n);
            String text = read.toString(StandardCharsets.UTF_8);
            if (headEnd < 0 && text.contains("\r\n\r\n")) {
                headEnd = text.indexOf("\r\n\r\n") + 4;
                for (String line : text.substring(0, headEnd).split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        contentLength = Long.parseLong(line.substring(15).trim());
                    }
                }
            }
            if (headEnd >= 0 && contentLength >= 0 && read.size() >= headEnd + contentLength) {
                break;
            }
        }
        return read.toString(StandardCharsets.UTF_8);
    }

    private static String unchunk(String body) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < body.length()) {
            int lineEnd = body.indexOf("\r\n", at);
            int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(body, lineEnd + 2, lineEnd + 2 + size);
            at = lineEnd + 2 + size + 2;
        }
        return out.toString();
    }

    private HttpResponse<String> post(String path, Object json, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(json)));
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
