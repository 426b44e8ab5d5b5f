package dev.cloudrun.server.runs;

import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.db.RunRepository;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import dev.cloudrun.server.keys.ApiKeyScope;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/runs} (run and wait, for scripts: a session or an API key with scope {@code run}),
 * {@code GET /api/runs} (the caller's history) and {@code GET /api/runs/{id}}.
 */
public final class RunRoutes {
    private final RunService runs;
    private final RunRepository history;
    private final AuthRoutes auth;
    private final ApiKeyRoutes keys;
    private final ClientAddress clients;

    /**
     * Creates the routes.
     *
     * @param runs starts runs
     * @param history the run history
     * @param auth resolves callers
     * @param keys resolves callers that present an API key instead of a session
     * @param clients tells the client's address, for the per-address run quota
     */
    public RunRoutes(RunService runs, RunRepository history, AuthRoutes auth, ApiKeyRoutes keys, ClientAddress clients) {
        this.runs = runs;
        this.history = history;
        this.auth = auth;
        this.keys = keys;
        this.clients = clients;
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.post("/api/runs", this::runAndWait);
        app.get("/api/runs", ctx -> {
            Principal caller = auth.principal(ctx);
            int limit = parseLimit(ctx.queryParam("limit"));
            ctx.json(Map.of("runs", history.listByUser(caller.userId(), limit)));
        });
        app.get("/api/runs/{id}", ctx -> ctx.json(history.find(auth.principal(ctx).userId(), ctx.pathParam("id"))
                .orElseThrow(() -> ApiError.notFound("run"))));
    }

    private void runAndWait(Context ctx) {
        Principal caller = keys.sessionOrKey(ctx, ApiKeyScope.RUN);
        RunSpec spec = RunSpec.parse(Json.body(ctx), false);
        CompletableFuture<RunService.Outcome> outcome = new CompletableFuture<>();
        RunService.StartedRun started = runs.start(caller, clients.of(ctx), spec, "api", RunListener.NONE, outcome::complete);
        // The service cancels the run at its deadline, so this wait always ends.
        Optional<RunResult> result = started.execution().await(runs.deadline().plusSeconds(30));
        if (result.isEmpty()) {
            started.execution().cancel();
        }
        RunService.Outcome finished = outcome.join();
        Map<String, Object> body = RunService.describe(finished);
        body.put("stdout", finished.result().stdout());
        body.put("stderr", finished.result().stderr());
        ctx.json(body);
    }

    private static int parseLimit(String text) {
        if (text == null) {
            return 50;
        }
        try {
            return Math.max(1, Math.min(500, Integer.parseInt(text)));
        } catch (NumberFormatException e) {
            throw ApiError.badField("invalid_field", "limit", "limit must be a whole number");
        }
    }
}
