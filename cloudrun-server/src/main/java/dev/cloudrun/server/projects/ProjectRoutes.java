package dev.cloudrun.server.projects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.db.Project;
import dev.cloudrun.server.db.ProjectEntry;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.runs.FileSpecs;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /api/projects...}: projects and their files. File contents travel as raw bytes
 * ({@code PUT}/{@code GET .../files/PATH}), so uploads are binary-safe without any encoding.
 */
public final class ProjectRoutes {
    private final ProjectService projects;
    private final AuthRoutes auth;
    private final ProjectChanges changes;

    /**
     * Creates the routes.
     *
     * @param projects the service
     * @param auth resolves callers
     * @param changes told of every file change made here (an open workspace follows the editor)
     */
    public ProjectRoutes(ProjectService projects, AuthRoutes auth, ProjectChanges changes) {
        this.projects = projects;
        this.auth = auth;
        this.changes = changes;
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.get("/api/projects", ctx -> ctx.json(Map.of("projects",
                projects.list(auth.principal(ctx)).stream().map(ProjectRoutes::describe).toList())));
        app.post("/api/projects", this::create);
        app.get("/api/projects/{id}", ctx -> ctx.json(describe(projects.get(auth.principal(ctx), ctx.pathParam("id")))));
        app.patch("/api/projects/{id}", ctx -> {
            Principal caller = auth.principal(ctx);
            ObjectNode body = Json.body(ctx);
            Project updated = projects.update(caller, ctx.pathParam("id"), Json.optionalText(body, "name").orElse(null),
                    Json.optionalText(body, "language").orElse(null), Json.optionalText(body, "entry").orElse(null));
            ctx.json(describe(updated));
        });
        app.delete("/api/projects/{id}", ctx -> {
            projects.delete(auth.principal(ctx), ctx.pathParam("id"));
            changes.removed(ctx.pathParam("id"));
            ctx.status(204);
        });
        app.get("/api/projects/{id}/files", ctx -> ctx.json(Map.of("files",
                projects.get(auth.principal(ctx), ctx.pathParam("id")).entries())));
        app.get("/api/projects/{id}/files/<path>", ctx -> {
            byte[] content = projects.readFile(auth.principal(ctx), ctx.pathParam("id"), ProjectPaths.pathParam(ctx, "path"));
            ctx.contentType("application/octet-stream").result(content);
        });
        app.put("/api/projects/{id}/files/<path>", ctx -> {
            Principal caller = auth.principal(ctx);
            byte[] content = ctx.bodyAsBytes();
            ProjectEntry entry = projects.writeFile(caller, ctx.pathParam("id"), ProjectPaths.pathParam(ctx, "path"), content);
            changes.written(ctx.pathParam("id"), entry.path(), content);
            ctx.json(entry);
        });
        app.delete("/api/projects/{id}/files/<path>", ctx -> {
            String path = ProjectPaths.pathParam(ctx, "path");
            int deleted = projects.deleteEntry(auth.principal(ctx), ctx.pathParam("id"), path);
            changes.deleted(ctx.pathParam("id"), ProjectPaths.normalize("path", path));
            ctx.json(Map.of("deleted", deleted));
        });
        app.post("/api/projects/{id}/folders", ctx -> {
            Principal caller = auth.principal(ctx);
            ObjectNode body = Json.body(ctx);
            ctx.status(201).json(projects.createFolder(caller, ctx.pathParam("id"), Json.requiredText(body, "path")));
        });
        app.post("/api/projects/{id}/move", ctx -> {
            Principal caller = auth.principal(ctx);
            ObjectNode body = Json.body(ctx);
            String from = Json.requiredText(body, "from");
            String to = Json.requiredText(body, "to");
            int moved = projects.move(caller, ctx.pathParam("id"), from, to);
            changes.moved(ctx.pathParam("id"), ProjectPaths.normalize("from", from), ProjectPaths.normalize("to", to));
            ctx.json(Map.of("moved", moved));
        });
    }

    private void create(Context ctx) {
        Principal caller = auth.principal(ctx);
        ObjectNode body = Json.body(ctx);
        String name = Json.requiredText(body, "name");
        String language = Json.optionalText(body, "language").orElse(null);
        String entry = Json.optionalText(body, "entry").orElse(null);
        JsonNode files = body.get("files");
        Map<String, byte[]> initial = files == null || files.isNull() ? Map.of() : FileSpecs.parse(files);
        ctx.status(201).json(describe(projects.create(caller, name, language, entry, initial)));
    }

    private static Map<String, Object> describe(Project project) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", project.id());
        view.put("name", project.name());
        view.put("language", project.language());
        view.put("entry", project.entryPath());
        view.put("createdAt", project.createdAtMillis());
        view.put("updatedAt", project.updatedAtMillis());
        return view;
    }

    private static Map<String, Object> describe(ProjectService.ProjectTree tree) {
        Map<String, Object> view = describe(tree.project());
        List<ProjectEntry> entries = tree.entries();
        view.put("files", entries);
        return view;
    }
}
