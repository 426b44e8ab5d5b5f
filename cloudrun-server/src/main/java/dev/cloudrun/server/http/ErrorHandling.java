package dev.cloudrun.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.InvalidRequestException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into the JSON error shape with the right status. Nothing internal (stack
 * traces, SQL) ever reaches the client; unexpected failures are logged and answered with a 500.
 */
public final class ErrorHandling {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorHandling.class);

    private ErrorHandling() { }

    /**
     * Registers the exception and error handlers.
     *
     * @param app the application
     */
    public static void install(Javalin app) {
        install(app, ErrorShapes.cloudRun());
    }

    /**
     * Registers the exception and error handlers.
     *
     * @param app the application
     * @param tooLargeShapes how a 413 (a body cut while a handler reads it) is written on each path
     */
    public static void install(Javalin app, ErrorShapes tooLargeShapes) {
        app.exception(ApiError.class, (error, ctx) -> respond(ctx, error));
        app.exception(InvalidRequestException.class, (error, ctx) ->
                write(ctx, 400, "invalid_request", error.getMessage(), error.field()));
        app.exception(BackendUnavailableException.class, (error, ctx) ->
                write(ctx, 503, "sandbox_unavailable", error.getMessage(), null));
        app.exception(JsonProcessingException.class, (error, ctx) ->
                write(ctx, 400, "malformed_json", "the request body is not valid JSON", null));
        app.exception(HttpResponseException.class, (error, ctx) -> {
            if (error.getStatus() == 413) {
                // The rest of the body is not read: do not keep the connection for another request.
                ctx.header("Connection", "close");
                ctx.status(413).contentType("application/json").result(Json.write(tooLargeShapes.body(ctx.path(),
                        "payload_too_large", ApiError.shown(error.getMessage()), null)));
                return;
            }
            // Javalin's messages quote the request's path: never more than a short piece of it.
            write(ctx, error.getStatus(), codeFor(error.getStatus()), ApiError.shown(error.getMessage()), null);
        });
        app.exception(Exception.class, (error, ctx) -> {
            java.util.Optional<ApiError> storage = StorageFailures.classify(error);
            if (storage.isPresent()) {
                LOG.warn("{} {} failed: {} ({})", ctx.method(), ctx.path(), storage.get().getMessage(), rootCause(error));
                if (storage.get().status() == 503) {
                    ctx.header("Retry-After", "5");
                }
                respond(ctx, storage.get());
                return;
            }
            LOG.error("unexpected failure on {} {}", ctx.method(), ctx.path(), error);
            write(ctx, 500, "internal_error", "the server failed; the failure was logged", null);
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || ctx.result().isEmpty()) {
                write(ctx, 404, "not_found", "no such endpoint: " + ctx.method() + " " + ApiError.shown(ctx.path()), null);
            }
        });
        app.error(405, ctx -> write(ctx, 405, "method_not_allowed", "method not allowed", null));
    }

    /**
     * Writes an {@link ApiError} as the response.
     *
     * @param ctx the request
     * @param error the error
     */
    public static void respond(Context ctx, ApiError error) {
        error.retryAfter().ifPresent(wait ->
                ctx.header("Retry-After", String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000))));
        write(ctx, error.status(), error.code(), error.getMessage(), error.field().orElse(null));
    }

    private static String rootCause(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString();
    }

    private static void write(Context ctx, int status, String code, String message, String field) {
        ctx.status(status).json(ErrorBody.of(code, message, field));
    }

    private static String codeFor(int status) {
        switch (status) {
            case 400: return "bad_request";
            case 401: return "unauthorized";
            case 403: return "forbidden";
            case 404: return "not_found";
            case 405: return "method_not_allowed";
            case 413: return "payload_too_large";
            case 429: return "rate_limited";
            default: return status >= 500 ? "internal_error" : "http_" + status;
        }
    }
}
