package dev.cloudrun.server.compat.jobe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** A small real HTTP client that talks to the server as CodeRunner does. */
final class JobeClient {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    JobeClient(int port) {
        this.baseUrl = "http://127.0.0.1:" + port;
    }

    record Response(int status, String text) {
        JsonNode json() {
            try {
                return MAPPER.readTree(text);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + text, e);
            }
        }
    }

    Response send(String method, String path, String apiKey, String bearer, Object json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(120));
        if (apiKey != null) {
            request.header("X-API-KEY", apiKey);
        }
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.noBody();
        if (json != null) {
            request.header("Content-Type", "application/json; charset=utf-8");
            body = HttpRequest.BodyPublishers.ofString(json instanceof String text ? text : write(json));
        }
        request.method(method, body);
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    Response run(String apiKey, Map<String, Object> runSpec) {
        return send("POST", "/jobe/index.php/restapi/runs", apiKey, null, Map.of("run_spec", runSpec));
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
