package dev.cloudrun.server.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.ai.FakeAiServer.Reply;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.config.ServerConfigException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/ai/*} on a real server (local sandbox, SQLite in a temporary directory) whose providers
 * are fake OpenAI and Gemini servers on loopback.
 */
class AiEndpointTest {
    private static final String GROQ_KEY = "gsk_test_groq_key_0123456789";
    private static final String GEMINI_KEY = "AIza_test_gemini_key_0123456789";
    private static final Map<String, Object> FIX = Map.of("action", "fix_error", "language", "python",
            "code", "print(nme)\n", "error", "NameError: name 'nme' is not defined", "output", "Traceback ...");

    @TempDir
    Path dataDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private FakeAiServer groq;
    private FakeAiServer gemini;
    private FakeAiServer generic;
    private String baseUrl;

    @AfterEach
    void stopEverything() throws Exception {
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }

    /** Starts the three fakes and a server configured with them plus the extra settings. */
    private void start(Map<String, String> extra) {
        groq = track(FakeAiServer.openAi());
        gemini = track(FakeAiServer.gemini());
        generic = track(FakeAiServer.openAi());
        Map<String, String> settings = new HashMap<>();
        settings.put("GROQ_API_KEY", GROQ_KEY);
        settings.put("GROQ_BASE_URL", groq.baseUrl());
        settings.put("GEMINI_API_KEY", GEMINI_KEY);
        settings.put("GEMINI_BASE_URL", gemini.baseUrl());
        settings.put("CLOUDRUN_AI_BASE_URL", generic.baseUrl());
        settings.put("CLOUDRUN_AI_MODEL", "llama3.2");
        settings.put("CLOUDRUN_AI_FIRST_BYTE_SECONDS", "1");
        settings.put("CLOUDRUN_AI_TIMEOUT_SECONDS", "5");
        settings.putAll(extra);
        startServer(settings);
    }

    private void startServer(Map<String, String> aiSettings) {
        Map<String, String> settings = new HashMap<>(aiSettings);
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        settings.values().removeIf(value -> value == null);
        CloudRunServer server = CloudRunServer.create(ServerConfig.of(settings)).start();
        resources.add(server);
        baseUrl = "http://127.0.0.1:" + server.port();
    }

    private FakeAiServer track(FakeAiServer fake) {
        resources.add(fake);
        return fake;
    }

    // ---- a tiny client ----

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String guest() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/auth/guest"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json(response.body()).path("token").asText();
    }

    private HttpRequest.Builder assistRequest(String token, Object body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + "/api/ai/assist"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(FakeAiServer.MAPPER.valueToTree(body).toString()));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private HttpResponse<String> assistJson(String token, Object body) {
        return send(assistRequest(token, body).header("Accept", "application/json"));
    }

    private HttpResponse<String> status(String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + "/api/ai/status")).GET();
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return send(builder);
    }

    private static JsonNode json(String text) {
        try {
            return FakeAiServer.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** One server-sent event and when it arrived. */
    record Event(String name, JsonNode data, long arrivedNanos) { }

    /** Posts and reads the server-sent events one line at a time, as they arrive. */
    private List<Event> assistStream(String token, Object body) throws Exception {
        HttpResponse<Stream<String>> response = http.send(assistRequest(token, body).header("Accept", "text/event-stream")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/event-stream"));
        List<Event> events = new ArrayList<>();
        try (Stream<String> lines = response.body()) {
            Iterator<String> iterator = lines.iterator();
            String name = null;
            while (iterator.hasNext()) {
                String line = iterator.next();
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(new Event(name, json(line.substring(6)), System.nanoTime()));
                }
            }
        }
        return events;
    }

    private static List<String> names(List<Event> events) {
        return events.stream().map(Event::name).toList();
    }

    // ---- tests ----

    @Test
    void streams_each_delta_to_the_client_as_it_arrives_then_done_with_the_extracted_program() throws Exception {
        start(Map.of());
        groq.always(Reply.text(Duration.ofMillis(250), "The name is misspelt.\n\n", "```python\n", "print(name)\n```\n"));

        List<Event> events = assistStream(guest(), FIX);

        assertThat(names(events)).containsExactly("start", "delta", "delta", "delta", "done");
        assertThat(events.get(0).data().path("provider").asText()).isEqualTo("groq");
        assertThat(events.get(0).data().path("model").asText()).isEqualTo("llama-3.3-70b-versatile");
        assertThat(events.subList(1, 4)).extracting(event -> event.data().path("text").asText())
                .containsExactly("The name is misspelt.\n\n", "```python\n", "print(name)\n```\n");
        JsonNode done = events.get(4).data();
        assertThat(done.path("text").asText()).isEqualTo("The name is misspelt.\n\n```python\nprint(name)\n```\n");
        assertThat(done.path("code").asText()).isEqualTo("print(name)\n");
        assertThat(done.path("provider").asText()).isEqualTo("groq");
        // The first delta reached the client well before the answer was finished: nothing buffers the stream.
        assertThat(Duration.ofNanos(events.get(4).arrivedNanos() - events.get(1).arrivedNanos())).isGreaterThan(Duration.ofMillis(300));

        FakeAiServer.Recorded sent = groq.requests().get(0);
        assertThat(sent.header("Authorization")).isEqualTo("Bearer " + GROQ_KEY);
        assertThat(sent.json().path("model").asText()).isEqualTo("llama-3.3-70b-versatile");
        assertThat(sent.json().path("messages").toString()).contains("print(nme)", "NameError: name 'nme' is not defined");
        assertThat(gemini.requests()).isEmpty();
    }

    @Test
    void answers_one_json_object_when_the_client_accepts_json() {
        start(Map.of());
        groq.always(Reply.text("Use a list comprehension:\n\n```py\nprint([x * x for x in range(5)])\n```\n"));

        HttpResponse<String> response = assistJson(guest(), Map.of("action", "optimize", "language", "python",
                "code", "squares = []\nfor x in range(5):\n    squares.append(x * x)\nprint(squares)\n"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = json(response.body());
        assertThat(body.path("text").asText()).startsWith("Use a list comprehension");
        assertThat(body.path("code").asText()).isEqualTo("print([x * x for x in range(5)])\n");
        assertThat(body.path("provider").asText()).isEqualTo("groq");
        assertThat(groq.requests().get(0).json().path("stream").asBoolean()).isFalse();
        assertThat(groq.requests().get(0).json().path("messages").toString()).contains("optimised program", "squares.append");
    }

    @Test
    void explanations_carry_no_code() {
        start(Map.of());
        groq.always(Reply.text("It prints squares. For example:\n```python\nprint(1)\n```"));
        JsonNode body = json(assistJson(guest(), Map.of("action", "explain_code", "language", "python", "code", "print(1)")).body());
        assertThat(body.path("code").isNull()).isTrue();
    }

    @Test
    void fails_over_to_the_next_provider_on_500_429_and_timeout_then_skips_the_failing_one() throws Exception {
        start(Map.of());
        groq.then(Reply.status(500), Reply.status(429), Reply.hang());
        gemini.always(Reply.text("Gemini ", "answers."));
        String token = guest();

        for (int call = 0; call < 3; call++) {
            long started = System.nanoTime();
            List<Event> events = assistStream(token, FIX);
            assertThat(names(events)).as("call %d", call).containsExactly("start", "delta", "delta", "done");
            assertThat(events.get(3).data().path("provider").asText()).isEqualTo("gemini");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
        }
        assertThat(groq.requests()).hasSize(3);
        FakeAiServer.Recorded toGemini = gemini.requests().get(0);
        assertThat(toGemini.header("x-goog-api-key")).isEqualTo(GEMINI_KEY);
        assertThat(toGemini.path()).isEqualTo("/v1beta/models/gemini-2.0-flash:streamGenerateContent");
        assertThat(toGemini.body()).contains("print(nme)", "NameError");

        // Three failures in a row: groq is cooling down and not asked at all.
        assertThat(json(assistJson(token, FIX).body()).path("provider").asText()).isEqualTo("gemini");
        assertThat(groq.requests()).hasSize(3);
        JsonNode providers = json(status(token).body()).path("providers");
        assertThat(providers.path(0).path("name").asText()).isEqualTo("groq");
        assertThat(providers.path(0).path("state").asText()).isEqualTo("cooling_down");
        assertThat(providers.path(0).path("reachable").asBoolean()).isFalse();
        assertThat(providers.path(1).path("reachable").asBoolean()).isTrue();
    }

    @Test
    void fails_over_when_the_first_providers_are_down() {
        start(Map.of("GROQ_BASE_URL", FakeAiServer.closedPortUrl(), "GEMINI_BASE_URL", FakeAiServer.closedPortUrl()));
        generic.always(Reply.text("local model here"));

        HttpResponse<String> response = assistJson(guest(), FIX);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response.body()).path("provider").asText()).isEqualTo("generic");
        assertThat(generic.requests().get(0).header("Authorization")).isNull();
        assertThat(generic.requests().get(0).json().path("model").asText()).isEqualTo("llama3.2");
    }

    @Test
    void when_every_provider_fails_the_client_gets_502_with_the_reasons() {
        start(Map.of());
        groq.always(Reply.status(500));
        gemini.always(Reply.status(429));
        generic.always(Reply.status(503));

        HttpResponse<String> response = send(assistRequest(guest(), FIX)); // streaming asked, nothing started
        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode error = json(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("ai_unavailable");
        assertThat(error.path("message").asText()).contains("groq answered HTTP 500", "gemini answered HTTP 429", "generic answered HTTP 503");
    }

    @Test
    void a_provider_that_breaks_off_mid_answer_ends_the_stream_with_an_error_event() throws Exception {
        start(Map.of());
        groq.always(Reply.textThenHang("Half an ", "answer"));

        List<Event> events = assistStream(guest(), FIX);

        assertThat(names(events)).containsExactly("start", "delta", "delta", "error");
        assertThat(events.get(3).data().path("error").path("code").asText()).isEqualTo("ai_stream_failed");
        assertThat(gemini.requests()).isEmpty();
    }

    @Test
    void a_client_that_goes_away_stops_the_provider_call_without_counting_a_failure() throws Exception {
        start(Map.of());
        String[] chunks = new String[100];
        java.util.Arrays.fill(chunks, "word ");
        groq.always(Reply.text(Duration.ofMillis(50), chunks));

        HttpResponse<java.io.InputStream> response = http.send(assistRequest(guest(), FIX).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream body = response.body()) {
            assertThat(new String(body.readNBytes(40), java.nio.charset.StandardCharsets.UTF_8)).startsWith("event: start");
        }

        assertThat(groq.awaitAbandoned(Duration.ofSeconds(4))).as("the server hung up on the provider").isTrue();
        JsonNode providers = json(status(guest()).body()).path("providers");
        assertThat(providers.path(0).path("state").asText()).isEqualTo("ready");
        assertThat(providers.path(0).has("lastError")).isFalse();
    }

    @Test
    void one_user_may_have_two_requests_in_progress() throws Exception {
        start(Map.of("CLOUDRUN_AI_PROVIDER_ORDER", "groq"));
        groq.always(Reply.hang());
        String token = guest();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> running = List.of(
                http.sendAsync(assistRequest(token, FIX).build(), HttpResponse.BodyHandlers.ofString()),
                http.sendAsync(assistRequest(token, FIX).build(), HttpResponse.BodyHandlers.ofString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> groq.requests().size() >= 2);
        assertThat(groq.requests()).hasSize(2);

        HttpResponse<String> third = assistJson(token, FIX);

        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(json(third.body()).path("error").path("code").asText()).isEqualTo("ai_concurrent_limit");
        assertThat(third.headers().firstValue("Retry-After")).isPresent();
        assertThat(assistJson(guest(), Map.of("action", "explain_code", "language", "python", "code", "x")).statusCode())
                .as("another user is not held up").isEqualTo(502);
        for (var request : running) {
            assertThat(request.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(502);
        }
        groq.always(Reply.text("free again"));
        assertThat(assistJson(token, FIX).statusCode()).isEqualTo(200);
    }

    @Test
    void the_hourly_quota_answers_429_with_retry_after_per_user() {
        start(Map.of("CLOUDRUN_AI_GUEST_REQUESTS_PER_HOUR", "2"));
        String token = guest();
        assertThat(assistJson(token, FIX).statusCode()).isEqualTo(200);
        assertThat(assistJson(token, FIX).statusCode()).isEqualTo(200);

        HttpResponse<String> refused = assistJson(token, FIX);

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(json(refused.body()).path("error").path("code").asText()).isEqualTo("ai_quota_exceeded");
        assertThat(refused.headers().firstValue("Retry-After").map(Long::parseLong)).hasValueSatisfying(
                seconds -> assertThat(seconds).isBetween(1L, 3600L));
        assertThat(send(assistRequest(token, FIX)).statusCode()).isEqualTo(429);
        assertThat(groq.requests()).hasSize(2);
        assertThat(assistJson(guest(), FIX).statusCode()).isEqualTo(200); // another user has their own quota
    }

    @Test
    void without_any_provider_configured_the_endpoint_answers_503_saying_how_to_configure_one() {
        startServer(Map.of());
        String token = guest();

        HttpResponse<String> response = assistJson(token, FIX);

        assertThat(response.statusCode()).isEqualTo(503);
        JsonNode error = json(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("ai_not_configured");
        assertThat(error.path("message").asText()).contains("GROQ_API_KEY", "GEMINI_API_KEY", "CLOUDRUN_AI_BASE_URL");
        assertThat(send(assistRequest(token, FIX)).statusCode()).isEqualTo(503);
        JsonNode status = json(status(token).body());
        assertThat(status.path("enabled").asBoolean()).isTrue();
        assertThat(status.path("configured").asBoolean()).isFalse();
        assertThat(status.path("providers").findValuesAsText("name")).containsExactly("groq", "gemini", "generic");
        assertThat(status.path("providers").findValuesAsText("state")).containsOnly("not_configured");
    }

    @Test
    void the_operator_can_turn_ai_off() {
        start(Map.of("CLOUDRUN_AI_ENABLED", "false"));
        String token = guest();

        HttpResponse<String> response = assistJson(token, FIX);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(json(response.body()).path("error").path("code").asText()).isEqualTo("ai_disabled");
        assertThat(json(status(token).body()).path("enabled").asBoolean()).isFalse();
        assertThat(groq.requests()).isEmpty();
    }

    @Test
    void every_ai_endpoint_needs_a_token() {
        start(Map.of());
        assertThat(assistJson(null, FIX).statusCode()).isEqualTo(401);
        assertThat(send(assistRequest(null, FIX)).statusCode()).isEqualTo(401);
        assertThat(status(null).statusCode()).isEqualTo(401);
        assertThat(status("not-a-token").statusCode()).isEqualTo(401);
        assertThat(groq.requests()).isEmpty();
    }

    @Test
    void status_lists_the_providers_in_order_and_never_a_key() {
        start(Map.of());
        HttpResponse<String> response = status(guest());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).doesNotContain(GROQ_KEY).doesNotContain(GEMINI_KEY).doesNotContainIgnoringCase("key\"");
        JsonNode body = json(response.body());
        assertThat(body.path("enabled").asBoolean()).isTrue();
        assertThat(body.path("configured").asBoolean()).isTrue();
        JsonNode providers = body.path("providers");
        assertThat(providers.findValuesAsText("name")).containsExactly("groq", "gemini", "generic");
        assertThat(providers.findValuesAsText("model")).containsExactly("llama-3.3-70b-versatile", "gemini-2.0-flash", "llama3.2");
        assertThat(providers.findValuesAsText("state")).containsOnly("ready");
        assertThat(providers.path(0).path("reachable").isNull()).isTrue(); // not called yet
    }

    @Test
    void the_provider_order_can_be_changed() {
        start(Map.of("CLOUDRUN_AI_PROVIDER_ORDER", "generic,groq"));
        generic.always(Reply.text("local first"));
        assertThat(json(assistJson(guest(), FIX).body()).path("provider").asText()).isEqualTo("generic");
        JsonNode providers = json(status(guest()).body()).path("providers");
        assertThat(providers.findValuesAsText("name")).containsExactly("generic", "groq", "gemini");
        assertThat(providers.path(2).path("state").asText()).isEqualTo("not_in_order");
    }

    @Test
    void invalid_requests_answer_400_naming_the_field() {
        start(Map.of());
        String token = guest();
        assertBadField(assistJson(token, Map.of("language", "python", "code", "x")), "missing_field", "action");
        assertBadField(assistJson(token, Map.of("action", "rewrite", "language", "python", "code", "x")), "invalid_field", "action");
        assertBadField(assistJson(token, Map.of("action", "explain_code", "code", "x")), "missing_field", "language");
        assertBadField(assistJson(token, Map.of("action", "explain_code", "language", "python")), "missing_field", "code");
        assertBadField(assistJson(token, Map.of("action", "explain_code", "language", "python", "code", 42)), "invalid_field", "code");
        assertBadField(assistJson(token, Map.of("action", "explain_code", "language", "python",
                "code", "x".repeat(AiRequest.MAX_CODE_BYTES + 1))), "field_too_large", "code");
        assertBadField(assistJson(token, Map.of("action", "explain_error", "language", "python", "code", "x",
                "output", "y".repeat(AiRequest.MAX_OUTPUT_BYTES + 1))), "field_too_large", "output");
        assertBadField(assistJson(token, Map.of("action", "fix_error", "language", "python", "code", "x")), "missing_field", "error");
        assertThat(send(assistRequest(token, "not json")).statusCode()).isEqualTo(400);
        assertThat(groq.requests()).isEmpty();
        // Refused requests do not use up the quota: a valid one still goes through.
        assertThat(assistJson(token, FIX).statusCode()).isEqualTo(200);
    }

    private static void assertBadField(HttpResponse<String> response, String code, String field) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = json(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("field").asText()).isEqualTo(field);
    }

    @Test
    void the_openapi_document_describes_the_ai_endpoints() {
        start(Map.of());
        JsonNode paths = json(send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/openapi.json")).GET()).body()).path("paths");
        assertThat(paths.has("/api/ai/assist")).isTrue();
        assertThat(paths.has("/api/ai/status")).isTrue();
    }

    @Test
    void keys_are_masked_in_the_configuration_and_bad_provider_settings_are_refused() {
        ServerConfig config = ServerConfig.of(Map.of("GROQ_API_KEY", GROQ_KEY, "GEMINI_API_KEY", GEMINI_KEY,
                "CLOUDRUN_AI_API_KEY", "sk-local-secret"));
        assertThat(config.toString()).doesNotContain(GROQ_KEY, GEMINI_KEY, "sk-local-secret").contains("GROQ_API_KEY=***");

        assertThatThrownBy(() -> startServer(Map.of("CLOUDRUN_AI_BASE_URL", "http://127.0.0.1:11434/v1")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_AI_MODEL");
        assertThatThrownBy(() -> startServer(Map.of("GROQ_API_KEY", "k", "GROQ_BASE_URL", "ftp://example")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("GROQ_BASE_URL");
        assertThatThrownBy(() -> startServer(Map.of("CLOUDRUN_AI_PROVIDER_ORDER", "groq,openrouter")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("openrouter");
        assertThat(ServerConfig.load(new String[0], Map.of("GROQ_API_KEY", "from-env")).ai().groq().apiKey()).hasValue("from-env");
    }
}
