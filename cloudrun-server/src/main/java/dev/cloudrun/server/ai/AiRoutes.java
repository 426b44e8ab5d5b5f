package dev.cloudrun.server.ai;

import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.AiSettings;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ErrorBody;
import dev.cloudrun.server.http.EventStream;
import dev.cloudrun.server.http.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The AI assistant's endpoints: {@code POST /api/ai/assist} (a server-sent-event stream, or one JSON
 * object with {@code Accept: application/json}) and {@code GET /api/ai/status}. See {@code docs/ai.md}.
 */
public final class AiRoutes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AiRoutes.class);

    private final AiService service;
    private final AuthRoutes auth;

    AiRoutes(AiService service, AuthRoutes auth) {
        this.service = service;
        this.auth = auth;
    }

    /**
     * Builds the assistant from the configuration.
     *
     * @param config the assistant's settings (providers, keys, quota, timeouts, off switch)
     * @param auth resolves callers
     * @return the routes; close them with the server
     * @throws dev.cloudrun.server.config.ServerConfigException when a provider setting is invalid
     */
    public static AiRoutes create(AiSettings config, AuthRoutes auth) {
        return new AiRoutes(new AiService(config, Clock.systemUTC()), auth);
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.get("/api/ai/status", ctx -> {
            auth.principal(ctx);
            ctx.json(service.status());
        });
        app.post("/api/ai/assist", this::assist);
    }

    private void assist(Context ctx) {
        Principal caller = auth.principal(ctx);
        service.checkAvailable();
        AiRequest request = AiRequest.parse(Json.body(ctx));
        try (AiService.Slot slot = service.enter(caller)) {
            service.takeQuota(caller);
            answer(ctx, request);
        }
    }

    private void answer(Context ctx, AiRequest request) {
        Prompt prompt = Prompts.build(request);
        if (wantsJson(ctx.header("Accept"))) {
            ProviderChain.Answer answer;
            try {
                answer = service.chain().complete(prompt);
            } catch (ProviderChain.AllFailedException e) {
                throw unavailable(e);
            }
            ctx.json(result(answer, request));
            return;
        }
        EventStream events = new EventStream(ctx);
        try {
            ProviderChain.Answer answer = service.chain().stream(prompt, new ProviderChain.StreamListener() {
                @Override
                public void started(AiProvider provider) {
                    events.open();
                    events.send("start", Map.of("provider", provider.name(), "model", provider.model()));
                }

                @Override
                public void delta(String text) {
                    events.send("delta", Map.of("text", text));
                }
            });
            events.send("done", result(answer, request));
        } catch (ProviderChain.AllFailedException e) {
            throw unavailable(e); // nothing was sent yet: a plain JSON error with its status
        } catch (ProviderChain.BrokenStreamException e) {
            sendQuietly(events, ErrorBody.of("ai_stream_failed", e.getMessage(), null));
        } catch (UncheckedIOException e) {
            LOG.debug("AI client went away: {}", e.getMessage()); // closing the call stopped the provider too
        } catch (RuntimeException e) {
            if (!events.isOpen()) {
                throw e;
            }
            LOG.error("AI stream failed", e);
            sendQuietly(events, ErrorBody.of("internal_error", "the server failed; the failure was logged", null));
        }
    }

    private static void sendQuietly(EventStream events, Object error) {
        try {
            events.send("error", error);
        } catch (UncheckedIOException ignored) {
            // the client is gone
        }
    }

    private static ApiError unavailable(ProviderChain.AllFailedException e) {
        return ApiError.of(502, "ai_unavailable", e.getMessage());
    }

    private static Map<String, Object> result(ProviderChain.Answer answer, AiRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", answer.text());
        body.put("code", request.action().returnsProgram() ? CodeExtractor.extract(answer.text(), request.language()) : null);
        body.put("provider", answer.provider().name());
        body.put("model", answer.provider().model());
        return body;
    }

    private static boolean wantsJson(String accept) {
        return accept != null && accept.contains("application/json") && !accept.contains("text/event-stream");
    }

    /** Forgets idle quota state. */
    public void evictIdle() {
        service.evictIdle();
    }

    @Override
    public void close() {
        service.close();
    }
}
