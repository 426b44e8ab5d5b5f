package dev.cloudrun.server.compat.piston;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real WebSocket client (the JDK's) speaking to {@code /api/v2/connect}: sends JSON, collects messages and the close code. */
final class PistonWs implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final WebSocket socket;

    private PistonWs(String url, String authorization) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        this.socket = builder.buildAsync(URI.create(url), new Listener()).join();
    }

    static PistonWs open(String url) {
        return new PistonWs(url, null);
    }

    static PistonWs open(String url, String authorization) {
        return new PistonWs(url, authorization);
    }

    void send(Object message) {
        sendText(message instanceof String text ? text : write(message));
    }

    void sendText(String text) {
        socket.sendText(text, true).join();
    }

    /** @return every message until the server closes the socket, and the close code */
    Transcript untilClosed(Duration timeout) {
        int code;
        try {
            code = closeCode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("the server did not close the socket within " + timeout + "; got " + drain(), e);
        }
        return new Transcript(drain(), code);
    }

    /** @return the next message */
    JsonNode next(Duration timeout) {
        try {
            JsonNode message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                throw new AssertionError("no message within " + timeout);
            }
            return message;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** @return messages up to and including the first of this type */
    List<JsonNode> untilType(String type, Duration timeout) {
        List<JsonNode> seen = new ArrayList<>();
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode message = next(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            seen.add(message);
            if (message.path("type").asText().equals(type)) {
                return seen;
            }
        }
    }

    private List<JsonNode> drain() {
        List<JsonNode> all = new ArrayList<>();
        messages.drainTo(all);
        return all;
    }

    @Override
    public void close() {
        socket.abort();
    }

    /**
     * @param messages what the server sent
     * @param closeCode how it closed
     */
    record Transcript(List<JsonNode> messages, int closeCode) {
        List<JsonNode> ofType(String type) {
            return messages.stream().filter(message -> message.path("type").asText().equals(type)).toList();
        }

        String stdout() {
            StringBuilder text = new StringBuilder();
            ofType("data").stream().filter(data -> data.path("stream").asText().equals("stdout"))
                    .forEach(data -> text.append(data.path("data").asText()));
            return text.toString();
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(MAPPER.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeCode.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.complete(-1);
        }
    }
}
