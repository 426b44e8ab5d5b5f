package dev.cloudrun.server.runs;

import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.db.RunOutput;
import dev.cloudrun.server.db.RunOutputRepository;
import dev.cloudrun.server.db.RunRecord;
import dev.cloudrun.server.db.RunRepository;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import dev.cloudrun.server.keys.ApiKeyScope;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /api/runs} (run and wait, for scripts: a session or an API key with scope {@code run}),
 * {@code GET /api/runs} (the caller's history, optionally of one project), {@code GET /api/runs/{id}} and
 * {@code GET /api/runs/{id}/output} (the output kept of one run, for the IDE's History panel).
 */
public final class RunRoutes {
    private static final java.util.regex.Pattern PROJECT_ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,36}");
    private final RunService runs;
    private final RunRepository history;
    private final RunOutputRepository outputs;
    private final AuthRoutes auth;
    private final ApiKeyRoutes keys;
    private final ClientAddress clients;

    /**
     * Creates the routes.
     *
     * @param runs starts runs
     * @param history the run history
     * @param outputs the kept output of recent runs
     * @param auth resolves callers
     * @param keys resolves callers that present an API key instead of a session
     * @param clients tells the client's address, for the per-address run quota
     */
    public RunRoutes(RunService runs, RunRepository history, RunOutputRepository outputs, AuthRoutes auth, ApiKeyRoutes keys,
                     ClientAddress clients) {
        this.runs = runs;
        this.history = history;
        this.outputs = outputs;
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
            String projectId = ctx.queryParam("projectId");
            if (projectId == null) {
                ctx.json(Map.of("runs", history.listByUser(caller.userId(), limit)));
                return;
            }
            if (!PROJECT_ID.matcher(projectId).matches()) {
                throw ApiError.badField("invalid_field", "projectId", "projectId must be a project id (letters, digits and"
                        + " '-', at most 36), was '" + ApiError.shown(projectId) + "'");
            }
            ctx.json(Map.of("runs", history.listByProject(caller.userId(), projectId, limit)));
        });
        app.get("/api/runs/{id}", ctx -> ctx.json(history.find(auth.principal(ctx).userId(), ctx.pathParam("id"))
                .orElseThrow(() -> ApiError.notFound("run"))));
        app.get("/api/runs/{id}/output", this::output);
    }

    private void output(Context ctx) {
        Principal caller = auth.principal(ctx);
        RunRecord run = history.find(caller.userId(), ctx.pathParam("id")).orElseThrow(() -> ApiError.notFound("run"));
        Optional<RunOutput> kept = outputs.find(caller.userId(), run.id());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("runId", run.id());
        body.put("status", run.status());
        body.put("kept", kept.isPresent());
        body.put("truncated", kept.map(RunOutput::truncated).orElse(false));
        body.put("keptBytes", kept.map(RunOutput::keptBytes).orElse(0L));
        body.put("chunks", kept.map(RunOutput::chunks).orElse(List.of()));
        ctx.json(body);
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
        int limit;
        try {
            limit = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiError.badField("invalid_field", "limit", "limit must be a whole number from 1 to 500, was '"
                    + ApiError.shown(text) + "'");
        }
        if (limit < 1 || limit > 500) {
            throw ApiError.badField("invalid_field", "limit", "limit must be from 1 to 500, was " + limit);
        }
        return limit;
    }
}
