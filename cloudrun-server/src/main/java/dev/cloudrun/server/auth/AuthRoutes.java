package dev.cloudrun.server.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.server.db.User;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/auth/*} and {@code /api/me}, plus {@link #principal(Context)} which every protected
 * endpoint calls to get its caller from the {@code Authorization: Bearer} header.
 */
public final class AuthRoutes {
    private final AuthService auth;
    private final ClientAddress clients;

    /**
     * Creates the routes.
     *
     * @param auth the auth service
     * @param clients tells the client's address behind trusted proxies (for login and guest throttling)
     */
    public AuthRoutes(AuthService auth, ClientAddress clients) {
        this.auth = auth;
        this.clients = clients;
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        app.post("/api/auth/register", this::registerAccount);
        app.post("/api/auth/login", ctx -> {
            ObjectNode body = Json.body(ctx);
            String identifier = Json.optionalText(body, "login")
                    .or(() -> Json.optionalText(body, "username"))
                    .or(() -> Json.optionalText(body, "email"))
                    .orElseThrow(() -> ApiError.badField("missing_field", "login", "login (a username or e-mail address) is required"));
            respond(ctx, 200, auth.login(identifier, Json.requiredText(body, "password"), clients.of(ctx)));
        });
        app.post("/api/auth/guest", ctx -> respond(ctx, 201, auth.guest(clients.of(ctx))));
        app.post("/api/auth/upgrade", ctx -> {
            ObjectNode body = Json.body(ctx);
            respond(ctx, 200, auth.upgrade(principal(ctx), Json.requiredText(body, "username"),
                    Json.requiredText(body, "email"), Json.requiredText(body, "password"), clients.of(ctx)));
        });
        app.post("/api/auth/refresh", ctx -> respond(ctx, 200, auth.refresh(principal(ctx))));
        app.post("/api/auth/logout", ctx -> {
            auth.logout(principal(ctx));
            ctx.status(204);
        });
        app.get("/api/auth/me", this::me);
        app.get("/api/me", this::me);
    }

    private void registerAccount(Context ctx) {
        ObjectNode body = Json.body(ctx);
        String username = Json.requiredText(body, "username");
        String email = Json.requiredText(body, "email");
        String password = Json.requiredText(body, "password");
        // A guest who registers keeps their projects: registering with a guest token upgrades it.
        Optional<Principal> caller = bearer(ctx).flatMap(auth::authenticate);
        if (caller.isPresent() && caller.get().guest()) {
            respond(ctx, 200, auth.upgrade(caller.get(), username, email, password, clients.of(ctx)));
        } else {
            respond(ctx, 201, auth.register(username, email, password, clients.of(ctx)));
        }
    }

    private void me(Context ctx) {
        ctx.json(Map.of("user", describe(auth.user(principal(ctx)))));
    }

    private static void respond(Context ctx, int status, AuthService.Session session) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", session.token());
        body.put("expiresAt", session.expiresAt().toEpochMilli());
        body.put("user", describe(session.user()));
        ctx.status(status).json(body);
    }

    /**
     * The public view of a user.
     *
     * @param user the user
     * @return id, username, email, guest
     */
    public static Map<String, Object> describe(User user) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", user.id());
        view.put("username", user.username());
        view.put("email", user.email());
        view.put("guest", user.guest());
        view.put("createdAt", user.createdAtMillis());
        return view;
    }

    /**
     * The caller of a request.
     *
     * @param ctx the request
     * @return the principal
     * @throws ApiError 401 without a valid token
     */
    public Principal principal(Context ctx) {
        return bearer(ctx).flatMap(auth::authenticate).orElseThrow(ApiError::unauthorized);
    }

    /**
     * The token of an {@code Authorization: Bearer} header, whatever kind it is.
     *
     * @param ctx the request
     * @return the token, empty without the header
     */
    public static Optional<String> bearer(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return Optional.of(header.substring(7).trim());
    }
}
