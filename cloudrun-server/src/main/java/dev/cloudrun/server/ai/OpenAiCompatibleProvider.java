package dev.cloudrun.server.ai;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The OpenAI chat-completions protocol ({@code POST {base}/chat/completions}), spoken by Groq,
 * OpenAI, Ollama, vLLM, LM Studio and many others. The key, if any, goes in {@code Authorization: Bearer}.
 */
final class OpenAiCompatibleProvider extends AiProvider {
    private final String baseUrl;

    OpenAiCompatibleProvider(String name, String baseUrl, String apiKey, String model, HttpClient client, Duration silence,
            Duration overall) {
        super(name, model, apiKey, client, silence, overall);
        this.baseUrl = baseUrl;
    }

    @Override
    HttpRequest.Builder streamRequest(Prompt prompt) {
        return request(prompt, true).header("Accept", "text/event-stream");
    }

    @Override
    HttpRequest.Builder completeRequest(Prompt prompt) {
        return request(prompt, false).header("Accept", "application/json");
    }

    private HttpRequest.Builder request(Prompt prompt, boolean stream) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model());
        body.put("messages", List.of(Map.of("role", "system", "content", prompt.system()),
                Map.of("role", "user", "content", prompt.user())));
        body.put("temperature", 0.2);
        body.put("stream", stream);
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(baseUrl, "/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body(body)));
        if (apiKey() != null && !apiKey().isEmpty()) {
            builder.header("Authorization", "Bearer " + apiKey());
        }
        return builder;
    }

    @Override
    String deltaOf(JsonNode event) throws ProviderException {
        checkError(event);
        return event.path("choices").path(0).path("delta").path("content").asText("");
    }

    @Override
    String textOf(JsonNode answer) throws ProviderException {
        checkError(answer);
        return answer.path("choices").path(0).path("message").path("content").asText("");
    }

    private void checkError(JsonNode node) throws ProviderException {
        if (node.hasNonNull("error")) {
            throw new ProviderException(name() + " reported an error in its answer");
        }
    }
}
