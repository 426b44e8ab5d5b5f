package dev.cloudrun.server.grading;

import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import dev.cloudrun.server.keys.ApiKeyScope;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /api/problems}: suites that submissions name by id, owned by the key's user. A problem is
 * sent as JSON ({@code {"name": ..., "cases": [...], ...}}, see {@link SuiteDocument}) or as a zip
 * ({@code Content-Type: application/zip}, the name in {@code ?name=}).
 */
final class ProblemRoutes {
    private final ProblemService problems;
    private final ApiKeyRoutes keys;

    ProblemRoutes(ProblemService problems, ApiKeyRoutes keys) {
        this.problems = problems;
        this.keys = keys;
    }

    void register(Javalin app) {
        app.post("/api/problems", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            ctx.status(201).json(describe(problems.create(key.userId(), upload(ctx))));
        });
        app.get("/api/problems", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            int limit = Paging.limit(ctx, 100);
            int offset = Paging.offset(ctx);
            ctx.json(Map.of("problems", problems.list(key.userId(), limit, offset).stream().map(ProblemRoutes::describe).toList()));
        });
        app.get("/api/problems/{id}", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            Problem problem = problems.get(key.userId(), ctx.pathParam("id"));
            Map<String, Object> view = describe(problem);
            problems.suite(problem).ifPresent(suite -> view.put("cases", suite.cases().stream().map(c -> c.name()).toList()));
            ctx.json(view);
        });
        app.get("/api/problems/{id}/suite", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            Problem problem = problems.get(key.userId(), ctx.pathParam("id"));
            ctx.contentType(ProblemService.ZIP.equals(problem.format()) ? "application/zip" : "application/json")
                    .result(problems.content(problem));
        });
        app.put("/api/problems/{id}", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            ctx.json(describe(problems.replace(key.userId(), ctx.pathParam("id"), upload(ctx))));
        });
        app.delete("/api/problems/{id}", ctx -> {
            ApiKey key = keys.caller(ctx, ApiKeyScope.GRADE);
            problems.delete(key.userId(), ctx.pathParam("id"));
            ctx.status(204);
        });
    }

    private static ProblemService.Upload upload(Context ctx) {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        byte[] body = ctx.bodyAsBytes();
        if (type.startsWith("application/zip") || type.startsWith("application/x-zip-compressed")) {
            return new ProblemService.Upload(ctx.queryParam("name"), ProblemService.ZIP, body);
        }
        if (!type.isEmpty() && !type.startsWith("application/json")) {
            throw ApiError.badField("unsupported_media_type", "Content-Type",
                    "send a problem as application/json or application/zip");
        }
        String name = Json.optionalText(Json.parseObject(new String(body, StandardCharsets.UTF_8)), "name").orElse(null);
        return new ProblemService.Upload(name, ProblemService.JSON, body);
    }

    static Map<String, Object> describe(Problem problem) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", problem.id());
        view.put("name", problem.name());
        view.put("version", problem.version());
        view.put("format", problem.format());
        view.put("caseCount", problem.caseCount());
        view.put("maxScore", problem.maxScore());
        view.put("createdAt", problem.createdAtMillis());
        view.put("updatedAt", problem.updatedAtMillis());
        return view;
    }
}
