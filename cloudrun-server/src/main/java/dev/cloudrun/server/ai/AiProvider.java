package dev.cloudrun.server.ai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.http.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One language-model provider reached over HTTP. Subclasses say how to build the request and where
 * the text is in an answer; this class does the call, its timeouts, server-sent events and errors.
 * The key only ever goes into request headers, which are never logged.
 */
abstract class AiProvider {
    private static final Logger LOG = LoggerFactory.getLogger(AiProvider.class);
    private static final int MAX_ERROR_BODY_CHARS = 2000;

    private final String name;
    private final String model;
    private final HttpClient client;
    private final Duration silence;
    private final Duration overall;
    private final String apiKey;

    AiProvider(String name, String model, String apiKey, HttpClient client, Duration silence, Duration overall) {
        this.name = name;
        this.apiKey = apiKey;
        this.model = model;
        this.client = client;
        this.silence = silence;
        this.overall = overall;
    }

    /** @return the provider's name: {@code groq}, {@code gemini} or {@code generic} */
    final String name() {
        return name;
    }

    /** @return the model asked for */
    final String model() {
        return model;
    }

    /** @return the request for a streamed answer */
    abstract HttpRequest.Builder streamRequest(Prompt prompt);

    /** @return the request for a whole answer in one response */
    abstract HttpRequest.Builder completeRequest(Prompt prompt);

    /**
     * @param event one server-sent event's data, parsed
     * @return the text it adds (possibly empty)
     * @throws ProviderException when the event reports an error
     */
    abstract String deltaOf(JsonNode event) throws ProviderException;

    /**
     * @param answer a whole (non-streamed) answer, parsed
     * @return its text
     * @throws ProviderException when the answer reports an error or has no text
     */
    abstract String textOf(JsonNode answer) throws ProviderException;

    /**
     * Asks for a streamed answer, passing text to {@code onDelta} as it arrives.
     *
     * @param prompt the prompt
     * @param onDelta receives each piece of text, in order (an exception it throws aborts the call and propagates)
     * @return the whole text
     * @throws ProviderException when the call fails; if it fails after text was passed on, that text is incomplete
     */
    final String stream(Prompt prompt, Consumer<String> onDelta) throws ProviderException {
        StringBuilder text = new StringBuilder();
        try (StreamingCall call = StreamingCall.send(client, finish(streamRequest(prompt)), name, silence, overall)) {
            checkStatus(call);
            for (String line = call.nextLine(); line != null; line = call.nextLine()) {
                if (!line.startsWith("data:")) {
                    continue; // blank separators, comments, "event:" and "id:" lines
                }
                String data = line.substring(5).strip();
                if (data.equals("[DONE]")) {
                    break;
                }
                if (data.isEmpty()) {
                    continue;
                }
                String delta = deltaOf(parse(data));
                if (!delta.isEmpty()) {
                    text.append(delta);
                    onDelta.accept(delta);
                }
            }
        }
        if (text.toString().isBlank()) {
            throw new ProviderException(name + " returned an empty answer");
        }
        return text.toString();
    }

    /**
     * Asks for the whole answer in one response.
     *
     * @param prompt the prompt
     * @return the text
     * @throws ProviderException when the call fails
     */
    final String complete(Prompt prompt) throws ProviderException {
        try (StreamingCall call = StreamingCall.send(client, finish(completeRequest(prompt)), name, silence, overall)) {
            checkStatus(call);
            String text = textOf(parse(call.rest(Integer.MAX_VALUE)));
            if (text.isBlank()) {
                throw new ProviderException(name + " returned an empty answer");
            }
            return text;
        }
    }

    private HttpRequest finish(HttpRequest.Builder builder) {
        return builder.timeout(overall).header("Content-Type", "application/json").build();
    }

    private void checkStatus(StreamingCall call) throws ProviderException {
        int status = call.status();
        if (status / 100 != 2) {
            String body;
            try {
                body = call.rest(MAX_ERROR_BODY_CHARS);
            } catch (ProviderException e) {
                body = "";
            }
            LOG.warn("AI provider {} answered HTTP {}: {}", name, status, redact(errorMessage(body)));
            throw new ProviderException(name + " answered HTTP " + status + describeStatus(status));
        }
    }

    private static String describeStatus(int status) {
        return switch (status) {
            case 401, 403 -> " (is the API key right?)";
            case 404 -> " (is the model name or base URL right?)";
            case 429 -> " (rate limited or out of quota)";
            default -> status >= 500 ? " (provider error)" : "";
        };
    }

    /** Some providers quote the key they were given in their error message; it must not reach the log. */
    private String redact(String text) {
        return apiKey == null || apiKey.length() < 4 ? text : text.replace(apiKey, "***");
    }

    /** @return the key, or null for a provider that needs none */
    final String apiKey() {
        return apiKey;
    }

    /** The provider's own error message if the body has the usual {@code {"error":{"message"}}} shape. */
    private static String errorMessage(String body) {
        try {
            JsonNode node = Json.MAPPER.readTree(body);
            if (node != null && node.isArray() && node.size() > 0) {
                node = node.get(0);
            }
            String message = node == null ? null : node.path("error").path("message").asText(null);
            if (message != null) {
                return message.length() > 300 ? message.substring(0, 300) + "..." : message;
            }
        } catch (JsonProcessingException e) {
            // not JSON: fall through
        }
        String flat = body.replaceAll("\\s+", " ").strip();
        return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
    }

    private JsonNode parse(String json) throws ProviderException {
        try {
            JsonNode node = Json.MAPPER.readTree(json);
            if (node == null) {
                throw new ProviderException(name + " sent an empty response");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new ProviderException(name + " sent a response that is not JSON");
        }
    }

    static URI uri(String base, String path) {
        String trimmed = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return URI.create(trimmed + path);
    }

    static String body(Object value) {
        return Json.write(value);
    }
}
