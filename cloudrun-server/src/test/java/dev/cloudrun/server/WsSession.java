package dev.cloudrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
import java.util.function.Predicate;

/** A real WebSocket client (the JDK's) that collects the server's JSON messages. */
final class WsSession implements AutoCloseable {
    private final LinkedBlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final WebSocket socket;
    private volatile boolean paused;
    private volatile boolean wantsMore;

    private WsSession(String url, String origin) {
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        this.socket = builder.buildAsync(URI.create(url), new Collector()).join();
    }

    static WsSession open(String url) {
        return new WsSession(url, null);
    }

    static WsSession open(String url, String origin) {
        return new WsSession(url, origin);
    }

    /** Stops reading: the server's messages pile up in the network buffers, as for a client that reads too slowly. */
    void pause() {
        paused = true;
    }

    /** Reads again. */
    void resume() {
        paused = false;
        if (wantsMore) {
            wantsMore = false;
            socket.request(1);
        }
    }

    void send(Object message) {
        socket.sendText(ApiClient.toJson(message), true).join();
    }

    /** Waits for the next message. */
    JsonNode next(Duration timeout) {
        try {
            JsonNode message = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                throw new AssertionError("no message within " + timeout + (closeCode.isDone() ? " (closed " + closeCode.join() + ")" : ""));
            }
            return message;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Collects messages until one matches; returns all collected, the match last. */
    List<JsonNode> until(Predicate<JsonNode> condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> seen = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("condition not met within " + timeout + "; saw " + seen);
            }
            JsonNode message;
            try {
                message = messages.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            if (message == null) {
                throw new AssertionError("condition not met within " + timeout + "; saw " + seen);
            }
            seen.add(message);
            if (condition.test(message)) {
                return seen;
            }
        }
    }

    List<JsonNode> untilType(String type, Duration timeout) {
        return until(message -> type.equals(message.path("type").asText()), timeout);
    }

    /** Collects stdout until it contains the text. */
    void awaitStdout(String text, Duration timeout) {
        StringBuilder stdout = new StringBuilder();
        until(message -> {
            if ("stdout".equals(message.path("type").asText())) {
                stdout.append(message.path("data").asText());
            }
            if ("finished".equals(message.path("type").asText())) {
                throw new AssertionError("run finished before printing '" + text + "': " + message + " stdout: " + stdout);
            }
            return stdout.toString().contains(text);
        }, timeout);
    }

    /** @return whether the connection has ended (a close frame, or an error) */
    boolean isClosed() {
        return closeCode.isDone();
    }

    int awaitClose(Duration timeout) {
        return closeCode.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        socket.abort();
    }

    private final class Collector implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    messages.add(ApiClient.MAPPER.readTree(partial.toString()));
                } catch (IOException e) {
                    messages.add(ApiClient.MAPPER.createObjectNode().put("type", "not-json").put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            if (paused) {
                wantsMore = true;
            } else {
                webSocket.request(1);
            }
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
