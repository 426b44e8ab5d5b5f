package dev.cloudrun.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A local HTTP server that speaks the OpenAI chat-completions protocol ({@code POST /v1/chat/completions},
 * non-streaming) the way a model would, from a script: the test's responder sees each request's JSON
 * and returns the assistant message to answer with. It records every request, so a test can check
 * what the agent sent back (the tool results).
 */
final class FakeOpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final Function<JsonNode, ObjectNode> responder;

    /**
     * @param responder from a request body to the assistant message ({@link #answer} or
     *     {@link #toolCalls}) to reply with
     */
    FakeOpenAiServer(Function<JsonNode, ObjectNode> responder) {
        this.responder = responder;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    /** @return the base URL to give {@code OpenAiChatModel.builder().baseUrl(...)} */
    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** @return every request body received, in order */
    List<JsonNode> requests() {
        return requests;
    }

    /**
     * @param request a request body
     * @return the contents of its {@code role: tool} messages (the tool results), in order
     */
    static List<String> toolResults(JsonNode request) {
        List<String> results = new java.util.ArrayList<>();
        for (JsonNode message : request.path("messages")) {
            if (message.path("role").asText().equals("tool")) {
                results.add(message.path("content").asText());
            }
        }
        return results;
    }

    /**
     * @param content the assistant's final text
     * @return an assistant message that ends the turn
     */
    static ObjectNode answer(String content) {
        return JSON.createObjectNode().put("role", "assistant").put("content", content);
    }

    /**
     * @param calls tool call id to {@code [tool name, arguments]}, in order
     * @return an assistant message that calls those tools
     */
    static ObjectNode toolCalls(Map<String, Object[]> calls) {
        ObjectNode message = JSON.createObjectNode().put("role", "assistant");
        message.putNull("content");
        ArrayNode toolCalls = message.putArray("tool_calls");
        calls.forEach((id, call) -> {
            ObjectNode toolCall = toolCalls.addObject().put("id", id).put("type", "function");
            try {
                toolCall.putObject("function").put("name", (String) call[0])
                        .put("arguments", JSON.writeValueAsString(call[1]));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return message;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] bytes;
            int code = 200;
            try {
                bytes = JSON.writeValueAsBytes(respond(exchange));
            } catch (RuntimeException e) {
                code = 500;
                bytes = JSON.writeValueAsBytes(JSON.createObjectNode().putObject("error").put("message", String.valueOf(e)));
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private ObjectNode respond(HttpExchange exchange) throws IOException {
        JsonNode request;
        try (InputStream body = exchange.getRequestBody()) {
            request = JSON.readTree(body);
        }
        requests.add(request);
        ObjectNode message = responder.apply(request);
        ObjectNode response = JSON.createObjectNode()
                .put("id", "chatcmpl-" + requests.size())
                .put("object", "chat.completion")
                .put("created", 1_767_225_600L)
                .put("model", request.path("model").asText());
        response.putArray("choices").addObject()
                .put("index", 0)
                .put("finish_reason", message.has("tool_calls") ? "tool_calls" : "stop")
                .set("message", message);
        response.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 5).put("total_tokens", 15);
        return response;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
