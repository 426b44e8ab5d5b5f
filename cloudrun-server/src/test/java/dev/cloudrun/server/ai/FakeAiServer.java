package dev.cloudrun.server.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on loopback that speaks either the OpenAI chat-completions protocol
 * ({@code POST .../chat/completions}, streamed as server-sent events when the request says
 * {@code "stream": true}) or Gemini's ({@code POST /v1beta/models/M:generateContent} and
 * {@code :streamGenerateContent?alt=sse}). It records every request and answers from a script.
 */
final class FakeAiServer implements AutoCloseable {
    static final ObjectMapper MAPPER = new ObjectMapper();

    enum Protocol { OPENAI, GEMINI }

    /** What the fake does with one request. */
    record Reply(int status, List<String> chunks, Duration gap, boolean hangAfterChunks) {
        /** Answers with these pieces of text (streamed one event each, {@code gap} apart). */
        static Reply text(Duration gap, String... chunks) {
            return new Reply(200, List.of(chunks), gap, false);
        }

        static Reply text(String... chunks) {
            return text(Duration.ZERO, chunks);
        }

        /** Answers with an HTTP error and a provider-style error body. */
        static Reply status(int status) {
            return new Reply(status, List.of(), Duration.ZERO, false);
        }

        /** Accepts the request and never answers. */
        static Reply hang() {
            return new Reply(0, List.of(), Duration.ZERO, true);
        }

        /** Streams these pieces, then goes silent without ending the answer. */
        static Reply textThenHang(String... chunks) {
            return new Reply(200, List.of(chunks), Duration.ZERO, true);
        }
    }

    /** One request as received. */
    record Recorded(String method, String path, String query, Map<String, String> headers, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Protocol protocol;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final Deque<Reply> script = new ArrayDeque<>();
    private final CountDownLatch abandoned = new CountDownLatch(1);
    private Reply fallback = Reply.text("fake answer");

    private FakeAiServer(Protocol protocol) throws IOException {
        this.protocol = protocol;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    static FakeAiServer openAi() {
        return start(Protocol.OPENAI);
    }

    static FakeAiServer gemini() {
        return start(Protocol.GEMINI);
    }

    private static FakeAiServer start(Protocol protocol) {
        try {
            return new FakeAiServer(protocol);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the base URL to configure: {@code http://127.0.0.1:PORT/v1} (OpenAI) or {@code http://127.0.0.1:PORT} (Gemini) */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + (protocol == Protocol.OPENAI ? "/v1" : "");
    }

    /** @return a base URL on which nothing listens */
    static String closedPortUrl() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/v1";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every request from now on gets this reply (after any queued ones). */
    synchronized FakeAiServer always(Reply reply) {
        fallback = reply;
        return this;
    }

    /** The next requests get these replies, in order. */
    synchronized FakeAiServer then(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    /** @return whether a client hung up on a streamed answer within the time given */
    boolean awaitAbandoned(Duration timeout) throws InterruptedException {
        return abandoned.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    List<Recorded> requests() {
        return List.copyOf(requests);
    }

    private synchronized Reply nextReply() {
        return script.isEmpty() ? fallback : script.poll();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
            String path = exchange.getRequestURI().getPath();
            requests.add(new Recorded(exchange.getRequestMethod(), path, exchange.getRequestURI().getQuery(), headers, body));
            boolean known = protocol == Protocol.OPENAI ? path.endsWith("/chat/completions") : path.startsWith("/v1beta/models/");
            if (!known) {
                send(exchange, 404, "{\"error\":{\"message\":\"no such path\"}}");
                return;
            }
            Reply reply = nextReply();
            if (reply.status() == 0) {
                hang();
                return;
            }
            if (reply.status() != 200) {
                send(exchange, reply.status(), "{\"error\":{\"code\":" + reply.status() + ",\"message\":\"fake failure\"}}");
                return;
            }
            boolean stream = protocol == Protocol.OPENAI ? MAPPER.readTree(body).path("stream").asBoolean()
                    : path.endsWith(":streamGenerateContent");
            if (!stream) {
                send(exchange, 200, MAPPER.writeValueAsString(whole(String.join("", reply.chunks()))));
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (String chunk : reply.chunks()) {
                out.write(("data: " + MAPPER.writeValueAsString(delta(chunk)) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
                pause(reply.gap());
            }
            if (reply.hangAfterChunks()) {
                hang();
                return;
            }
            if (protocol == Protocol.OPENAI) {
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            abandoned.countDown(); // the client gave up (as CloudRun does on a timeout or when its own client left)
        }
    }

    private Map<String, Object> delta(String text) {
        return protocol == Protocol.OPENAI
                ? Map.of("choices", List.of(Map.of("index", 0, "delta", Map.of("content", text))))
                : Map.of("candidates", List.of(Map.of("content", Map.of("role", "model", "parts", List.of(Map.of("text", text))))));
    }

    private Map<String, Object> whole(String text) {
        return protocol == Protocol.OPENAI
                ? Map.of("choices", List.of(Map.of("index", 0, "message", Map.of("role", "assistant", "content", text))))
                : Map.of("candidates", List.of(Map.of("content", Map.of("role", "model", "parts", List.of(Map.of("text", text))))));
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private void hang() {
        try {
            closed.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void pause(Duration gap) {
        if (!gap.isZero()) {
            try {
                Thread.sleep(gap.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
