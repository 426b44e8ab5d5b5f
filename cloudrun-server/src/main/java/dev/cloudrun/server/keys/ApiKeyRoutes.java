package dev.cloudrun.server.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * {@code /api/keys}: a signed-in user (session token) makes, lists and revokes API keys; and the
 * check that machine endpoints make of a presented key ({@link #caller}).
 */
public final class ApiKeyRoutes {
    private final ApiKeyService keys;
    private final AuthRoutes auth;
    private final UnaryOperator<String> signingSecrets;

    /**
     * Creates the routes.
     *
     * @param keys the keys
     * @param auth session authentication (keys are managed with a session, never with a key)
     * @param signingSecrets a key's id to the secret its callbacks are signed with
     */
    public ApiKeyRoutes(ApiKeyService keys, AuthRoutes auth, UnaryOperator<String> signingSecrets) {
        this.keys = keys;
        this.auth = auth;
        this.signingSecrets = signingSecrets;
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.get("/api/keys", ctx -> ctx.json(Map.of("keys", keys.list(session(ctx)).stream().map(ApiKeyRoutes::describe).toList())));
        app.post("/api/keys", this::create);
        app.delete("/api/keys/{id}", ctx -> {
            keys.revoke(session(ctx), ctx.pathParam("id"));
            ctx.status(204);
        });
    }

    private Principal session(Context ctx) {
        if (AuthRoutes.bearer(ctx).filter(ApiKeyService::looksLikeKey).isPresent()) {
            throw ApiError.of(403, "session_required", "API keys are managed with a signed-in session, not with an API key");
        }
        return auth.principal(ctx);
    }

    private void create(Context ctx) {
        Principal owner = session(ctx);
        ObjectNode body = Json.body(ctx);
        String name = Json.requiredText(body, "name");
        Set<ApiKeyScope> scopes = EnumSet.noneOf(ApiKeyScope.class);
        JsonNode requested = body.get("scopes");
        if (requested == null || requested.isNull()) {
            scopes.add(ApiKeyScope.GRADE);
        } else if (!requested.isArray()) {
            throw ApiError.badField("invalid_field", "scopes", "scopes must be an array such as [\"grade\"]");
        } else {
            for (int i = 0; i < requested.size(); i++) {
                JsonNode scope = requested.get(i);
                if (!scope.isTextual()) {
                    throw ApiError.badField("invalid_field", "scopes[" + i + "]", "a scope must be a string");
                }
                scopes.add(ApiKeyScope.parse(scope.asText(), "scopes[" + i + "]"));
            }
        }
        ApiKeyService.CreatedKey created = keys.create(owner, name, scopes);
        Map<String, Object> view = describe(created.key());
        view.put("key", created.token());
        view.put("signingSecret", signingSecrets.apply(created.key().id()));
        ctx.status(201).json(view);
    }

    /**
     * The caller of a machine endpoint.
     *
     * @param ctx the request
     * @param scope the scope the endpoint needs
     * @return the key
     * @throws ApiError 401 without a live key, 403 when the key lacks the scope
     */
    public ApiKey caller(Context ctx, ApiKeyScope scope) {
        ApiKey key = AuthRoutes.bearer(ctx).filter(ApiKeyService::looksLikeKey).flatMap(keys::authenticate)
                .orElseThrow(() -> ApiError.of(401, "unauthorized",
                        "a valid API key is required (Authorization: Bearer cr_...); make one under API keys in the IDE"));
        if (!key.allows(scope)) {
            throw ApiError.of(403, "scope_missing", "this API key lacks the scope " + scope.wireName());
        }
        return key;
    }

    /**
     * The caller of an endpoint that takes either a session or an API key with a scope.
     *
     * @param ctx the request
     * @param scope the scope a key needs
     * @return the user, as a principal
     */
    public Principal sessionOrKey(Context ctx, ApiKeyScope scope) {
        if (AuthRoutes.bearer(ctx).filter(ApiKeyService::looksLikeKey).isPresent()) {
            ApiKey key = caller(ctx, scope);
            return new Principal(key.userId(), null, false);
        }
        return auth.principal(ctx);
    }

    static Map<String, Object> describe(ApiKey key) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", key.id());
        view.put("name", key.name());
        view.put("scopes", key.scopes().stream().map(ApiKeyScope::wireName).sorted().toList());
        view.put("prefix", key.prefix());
        view.put("createdAt", key.createdAtMillis());
        view.put("lastUsedAt", key.lastUsedAtMillis());
        return view;
    }
}
