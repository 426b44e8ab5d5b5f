package dev.cloudrun.server.ai;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Google Gemini's {@code generateContent} API ({@code :streamGenerateContent?alt=sse} when streamed).
 * The key goes in the {@code x-goog-api-key} header, never in the URL (URLs end up in logs).
 */
final class GeminiProvider extends AiProvider {
    private final String baseUrl;

    GeminiProvider(String baseUrl, String apiKey, String model, HttpClient client, Duration silence, Duration overall) {
        super("gemini", model, apiKey, client, silence, overall);
        this.baseUrl = baseUrl;
    }

    @Override
    HttpRequest.Builder streamRequest(Prompt prompt) {
        return request(prompt, ":streamGenerateContent?alt=sse").header("Accept", "text/event-stream");
    }

    @Override
    HttpRequest.Builder completeRequest(Prompt prompt) {
        return request(prompt, ":generateContent").header("Accept", "application/json");
    }

    private HttpRequest.Builder request(Prompt prompt, String method) {
        Map<String, Object> body = Map.of(
                "systemInstruction", Map.of("parts", List.of(Map.of("text", prompt.system()))),
                "contents", List.of(Map.of("role", "user", "parts", List.of(Map.of("text", prompt.user())))),
                "generationConfig", Map.of("temperature", 0.2));
        String model = URLEncoder.encode(model(), StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(uri(baseUrl, "/v1beta/models/" + model + method))
                .header("x-goog-api-key", apiKey())
                .POST(HttpRequest.BodyPublishers.ofString(body(body)));
    }

    @Override
    String deltaOf(JsonNode event) throws ProviderException {
        return textOf(event, true);
    }

    @Override
    String textOf(JsonNode answer) throws ProviderException {
        return textOf(answer, false);
    }

    private String textOf(JsonNode answer, boolean partial) throws ProviderException {
        if (answer.hasNonNull("error")) {
            throw new ProviderException("gemini reported an error in its answer");
        }
        JsonNode candidate = answer.path("candidates").path(0);
        if (!partial && candidate.isMissingNode() && answer.path("promptFeedback").hasNonNull("blockReason")) {
            throw new ProviderException("gemini refused the prompt (" + answer.path("promptFeedback").path("blockReason").asText() + ")");
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : candidate.path("content").path("parts")) {
            if (!part.path("thought").asBoolean(false)) {
                text.append(part.path("text").asText(""));
            }
        }
        return text.toString();
    }
}
