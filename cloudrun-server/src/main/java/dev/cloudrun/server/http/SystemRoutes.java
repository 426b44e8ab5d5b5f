package dev.cloudrun.server.http;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.languages.IdeLanguage;
import io.javalin.Javalin;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code /api/health}, {@code /api/languages} and {@code /api/openapi.json}. */
public final class SystemRoutes {
    private static final String OPENAPI_RESOURCE = "dev/cloudrun/server/openapi.json";

    private final Database database;
    private final CodeRunner runner;
    private final String sandboxProblem;

    /**
     * Creates the routes.
     *
     * @param database the database
     * @param runner the SDK runner, or null when no sandbox is available
     * @param sandboxProblem why there is no runner, or null
     */
    public SystemRoutes(Database database, CodeRunner runner, String sandboxProblem) {
        this.database = database;
        this.runner = runner;
        this.sandboxProblem = sandboxProblem;
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        byte[] openApi = readOpenApi();
        app.get("/api/health", ctx -> {
            boolean databaseUp = database.isHealthy();
            Map<String, Object> databaseView = new LinkedHashMap<>();
            databaseView.put("status", databaseUp ? "up" : "down");
            databaseView.put("kind", database.kind().name().toLowerCase(Locale.ROOT));
            Map<String, Object> sandboxView = new LinkedHashMap<>();
            sandboxView.put("status", runner != null ? "up" : "unavailable");
            sandboxView.put("backend", runner != null ? runner.backendName() : null);
            if (sandboxProblem != null) {
                sandboxView.put("message", sandboxProblem);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", databaseUp && runner != null ? "up" : databaseUp ? "degraded" : "down");
            body.put("database", databaseView);
            body.put("sandbox", sandboxView);
            ctx.status(databaseUp ? 200 : 503).json(body);
        });
        app.get("/api/languages", ctx -> {
            List<Map<String, Object>> languages = runner == null ? List.of()
                    : runner.languages().all().stream().map(language -> new IdeLanguage(language).toJson()).toList();
            ctx.json(Map.of("languages", languages));
        });
        app.get("/api/openapi.json", ctx -> ctx.contentType("application/json").result(openApi));
    }

    private static byte[] readOpenApi() {
        try (InputStream in = SystemRoutes.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
