package dev.cloudrun.server.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.ai.FakeAiServer.Reply;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The providers' wire protocols and the chain's failover, against real HTTP servers on loopback. */
class ProviderChainTest {
    private static final Duration SILENCE = Duration.ofMillis(400);
    private static final Duration OVERALL = Duration.ofSeconds(3);
    private static final AiRequest FIX = new AiRequest(AiAction.FIX_ERROR, "python", "print(nme)\n",
            "NameError: name 'nme' is not defined", "Traceback (most recent call last):\n  line 1\n");

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();
    private final List<FakeAiServer> fakes = new ArrayList<>();
    private final MutableClock clock = new MutableClock();

    @AfterEach
    void stopFakes() {
        fakes.forEach(FakeAiServer::close);
    }

    private FakeAiServer openAiFake() {
        FakeAiServer fake = FakeAiServer.openAi();
        fakes.add(fake);
        return fake;
    }

    private FakeAiServer geminiFake() {
        FakeAiServer fake = FakeAiServer.gemini();
        fakes.add(fake);
        return fake;
    }

    private AiProvider groq(String baseUrl) {
        return new OpenAiCompatibleProvider("groq", baseUrl, "groq-secret-key", "llama-3.3-70b-versatile", client, SILENCE, OVERALL);
    }

    private AiProvider gemini(String baseUrl) {
        return new GeminiProvider(baseUrl, "gemini-secret-key", "gemini-2.0-flash", client, SILENCE, OVERALL);
    }

    private ProviderChain chain(AiProvider... providers) {
        return new ProviderChain(List.of(providers), 3, Duration.ofSeconds(60), clock);
    }

    /** Streams and records what the listener saw. */
    private static final class Recorder implements ProviderChain.StreamListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void started(AiProvider provider) {
            events.add("start:" + provider.name());
        }

        @Override
        public void delta(String text) {
            events.add(text);
        }
    }

    @Test
    void openai_protocol_sends_model_bearer_key_and_messages_with_code_and_error_and_streams_deltas_in_order() throws Exception {
        FakeAiServer fake = openAiFake().always(Reply.text("The ", "variable ", "is `name`."));
        Recorder recorder = new Recorder();

        ProviderChain.Answer answer = chain(groq(fake.baseUrl())).stream(Prompts.build(FIX), recorder);

        assertThat(answer.text()).isEqualTo("The variable is `name`.");
        assertThat(answer.provider().name()).isEqualTo("groq");
        assertThat(recorder.events).containsExactly("start:groq", "The ", "variable ", "is `name`.");
        FakeAiServer.Recorded request = fake.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/chat/completions");
        assertThat(request.header("Authorization")).isEqualTo("Bearer groq-secret-key");
        JsonNode body = request.json();
        assertThat(body.path("model").asText()).isEqualTo("llama-3.3-70b-versatile");
        assertThat(body.path("stream").asBoolean()).isTrue();
        assertThat(body.path("messages").path(0).path("role").asText()).isEqualTo("system");
        assertThat(body.path("messages").path(0).path("content").asText()).contains("complete corrected program", "```python");
        assertThat(body.path("messages").path(1).path("role").asText()).isEqualTo("user");
        assertThat(body.path("messages").path(1).path("content").asText())
                .contains("print(nme)", "NameError: name 'nme' is not defined", "Traceback");
    }

    @Test
    void openai_protocol_whole_answer_and_generic_provider_without_key_sends_no_authorization() throws Exception {
        FakeAiServer fake = openAiFake().always(Reply.text("All ", "good."));
        AiProvider local = new OpenAiCompatibleProvider("generic", fake.baseUrl(), null, "llama3.2", client, SILENCE, OVERALL);

        ProviderChain.Answer answer = chain(local).complete(Prompts.build(FIX));

        assertThat(answer.text()).isEqualTo("All good.");
        FakeAiServer.Recorded request = fake.requests().get(0);
        assertThat(request.header("Authorization")).isNull();
        assertThat(request.json().path("stream").asBoolean()).isFalse();
        assertThat(request.json().path("model").asText()).isEqualTo("llama3.2");
    }

    @Test
    void gemini_protocol_puts_the_key_in_a_header_not_the_url_and_streams_with_alt_sse() throws Exception {
        FakeAiServer fake = geminiFake().always(Reply.text("Gemini ", "says ", "hi."));
        Recorder recorder = new Recorder();

        ProviderChain.Answer answer = chain(gemini(fake.baseUrl())).stream(Prompts.build(FIX), recorder);

        assertThat(answer.text()).isEqualTo("Gemini says hi.");
        assertThat(recorder.events).containsExactly("start:gemini", "Gemini ", "says ", "hi.");
        FakeAiServer.Recorded request = fake.requests().get(0);
        assertThat(request.path()).isEqualTo("/v1beta/models/gemini-2.0-flash:streamGenerateContent");
        assertThat(request.query()).isEqualTo("alt=sse");
        assertThat(request.header("x-goog-api-key")).isEqualTo("gemini-secret-key");
        assertThat(request.header("Authorization")).isNull();
        JsonNode body = request.json();
        assertThat(body.path("systemInstruction").path("parts").path(0).path("text").asText()).contains("complete corrected program");
        assertThat(body.path("contents").path(0).path("parts").path(0).path("text").asText())
                .contains("print(nme)", "NameError: name 'nme' is not defined");

        assertThat(chain(gemini(fake.baseUrl())).complete(Prompts.build(FIX)).text()).isEqualTo("Gemini says hi.");
        assertThat(fake.requests().get(1).path()).isEqualTo("/v1beta/models/gemini-2.0-flash:generateContent");
    }

    @Test
    void fails_over_when_the_first_provider_answers_500_or_429() throws Exception {
        FakeAiServer first = openAiFake().then(Reply.status(500), Reply.status(429));
        FakeAiServer second = geminiFake().always(Reply.text("from gemini"));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));

        assertThat(chain.stream(Prompts.build(FIX), new Recorder()).provider().name()).isEqualTo("gemini");
        assertThat(chain.complete(Prompts.build(FIX)).provider().name()).isEqualTo("gemini");
        assertThat(first.requests()).hasSize(2);
        assertThat(second.requests()).hasSize(2);
    }

    @Test
    void fails_over_when_the_first_provider_hangs_past_the_timeout() throws Exception {
        FakeAiServer first = openAiFake().always(Reply.hang());
        FakeAiServer second = geminiFake().always(Reply.text("from gemini"));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));

        long start = System.nanoTime();
        ProviderChain.Answer answer = chain.stream(Prompts.build(FIX), new Recorder());

        assertThat(answer.provider().name()).isEqualTo("gemini");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(SILENCE, OVERALL);
        assertThat(chain.describeProviders().get(0).get("lastError")).isEqualTo("groq sent nothing for 400 ms");
    }

    @Test
    void fails_over_when_the_first_provider_is_down() throws Exception {
        FakeAiServer second = openAiFake().always(Reply.text("from the local model"));
        AiProvider local = new OpenAiCompatibleProvider("generic", second.baseUrl(), null, "llama3.2", client, SILENCE, OVERALL);
        ProviderChain chain = chain(groq(FakeAiServer.closedPortUrl()), local);

        ProviderChain.Answer answer = chain.stream(Prompts.build(FIX), new Recorder());

        assertThat(answer.provider().name()).isEqualTo("generic");
        assertThat((String) chain.describeProviders().get(0).get("lastError")).startsWith("could not connect to groq");
    }

    @Test
    void every_provider_failing_lists_each_reason() {
        FakeAiServer first = openAiFake().always(Reply.status(503));
        FakeAiServer second = geminiFake().always(Reply.status(401));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));

        assertThatThrownBy(() -> chain.stream(Prompts.build(FIX), new Recorder()))
                .isInstanceOf(ProviderChain.AllFailedException.class)
                .hasMessageContaining("groq answered HTTP 503")
                .hasMessageContaining("gemini answered HTTP 401 (is the API key right?)")
                .hasMessageNotContaining("secret-key");
    }

    @Test
    void a_provider_failing_three_times_in_a_row_is_skipped_until_its_cooldown_ends() throws Exception {
        FakeAiServer first = openAiFake().always(Reply.status(500));
        FakeAiServer second = geminiFake().always(Reply.text("ok"));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));

        for (int call = 0; call < 3; call++) {
            chain.stream(Prompts.build(FIX), new Recorder());
        }
        assertThat(first.requests()).hasSize(3);
        assertThat(chain.describeProviders().get(0).get("state")).isEqualTo("cooling_down");

        chain.stream(Prompts.build(FIX), new Recorder());
        chain.complete(Prompts.build(FIX));
        assertThat(first.requests()).hasSize(3);
        assertThat(second.requests()).hasSize(5);

        clock.advance(Duration.ofSeconds(61));
        first.always(Reply.text("groq is back"));
        assertThat(chain.stream(Prompts.build(FIX), new Recorder()).text()).isEqualTo("groq is back");
        assertThat(first.requests()).hasSize(4);
        assertThat(chain.describeProviders().get(0).get("state")).isEqualTo("ready");
        assertThat(chain.describeProviders().get(0).get("reachable")).isEqualTo(true);
    }

    @Test
    void when_every_provider_is_cooling_down_they_are_tried_anyway() throws Exception {
        FakeAiServer only = openAiFake().then(Reply.status(500), Reply.status(500), Reply.status(500));
        ProviderChain chain = chain(groq(only.baseUrl()));
        for (int call = 0; call < 3; call++) {
            assertThatThrownBy(() -> chain.complete(Prompts.build(FIX))).isInstanceOf(ProviderChain.AllFailedException.class);
        }
        assertThat(chain.complete(Prompts.build(FIX)).text()).isEqualTo("fake answer");
    }

    @Test
    void never_switches_provider_once_the_answer_started() {
        FakeAiServer first = openAiFake().always(Reply.textThenHang("Partial ", "answer"));
        FakeAiServer second = geminiFake().always(Reply.text("should not be asked"));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));
        Recorder recorder = new Recorder();

        assertThatThrownBy(() -> chain.stream(Prompts.build(FIX), recorder))
                .isInstanceOf(ProviderChain.BrokenStreamException.class)
                .hasMessageContaining("groq sent nothing for 400 ms");
        assertThat(recorder.events).containsExactly("start:groq", "Partial ", "answer");
        assertThat(second.requests()).isEmpty();
    }

    @Test
    void an_empty_answer_counts_as_a_failure() throws Exception {
        FakeAiServer first = openAiFake().always(Reply.text());
        FakeAiServer second = geminiFake().always(Reply.text("real answer"));
        ProviderChain chain = chain(groq(first.baseUrl()), gemini(second.baseUrl()));

        assertThat(chain.stream(Prompts.build(FIX), new Recorder()).text()).isEqualTo("real answer");
        assertThat(chain.describeProviders().get(0).get("lastError")).isEqualTo("groq returned an empty answer");
    }

    /** A clock the test moves by hand. */
    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
