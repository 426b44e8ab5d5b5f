package dev.cloudrun.server.http;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.time.Duration;

/**
 * What every API request and WebSocket upgrade passes first: the Origin allow-list (with CORS
 * headers for allowed browser origins) and the per-IP request rate.
 */
public final class RequestGuards {
    private final OriginPolicy origins;
    private final ClientAddress clients;
    private final KeyedRateLimiter requestsPerIp;

    /**
     * Creates the guards.
     *
     * @param origins the allowed origins
     * @param clients tells the client's address behind trusted proxies
     * @param requestsPerMinutePerIp how many requests one address may make per minute
     */
    public RequestGuards(OriginPolicy origins, ClientAddress clients, int requestsPerMinutePerIp) {
        this.origins = origins;
        this.clients = clients;
        this.requestsPerIp = new KeyedRateLimiter(requestsPerMinutePerIp, Duration.ofMinutes(1));
    }

    /**
     * Registers the before-handlers.
     *
     * @param app the application
     * @param webSocketPath the WebSocket endpoint, guarded before its upgrade
     */
    public void register(Javalin app, String webSocketPath) {
        app.before("/api/*", this::guardApi);
        app.options("/api/*", ctx -> ctx.status(204));
        guardUpgrade(app, webSocketPath);
    }

    /**
     * Checks host, origin and rate before a WebSocket upgrade (as for the run socket).
     *
     * @param app the application
     * @param webSocketPath another WebSocket endpoint
     */
    public void guardUpgrade(Javalin app, String webSocketPath) {
        app.wsBeforeUpgrade(webSocketPath, ctx -> {
            checkHost(ctx);
            checkOrigin(ctx);
            checkRate(ctx);
        });
    }

    /**
     * Applies the per-address request rate to more paths (a compatible API outside {@code /api}).
     *
     * @param app the application (the main one, or a compatible API's own listener)
     * @param path the path pattern, such as {@code /judge0/*}
     */
    public void limitRate(Javalin app, String path) {
        app.before(path, this::checkRate);
    }

    private void guardApi(Context ctx) {
        checkOrigin(ctx);
        String origin = ctx.header("Origin");
        if (origins.grantsCors(origin, ctx.header("Host"))) {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            ctx.header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
            ctx.header("Access-Control-Expose-Headers", "Retry-After");
            ctx.header("Access-Control-Max-Age", "600");
        }
        if (ctx.method() == HandlerType.OPTIONS) {
            ctx.status(204);
            ctx.skipRemainingHandlers();
            return;
        }
        checkRate(ctx);
    }

    private void checkHost(Context ctx) {
        // EdgeFilter checks every request; the WebSocket upgrade may be handled before filters run.
        if (!origins.hosts().allows(ctx.header("Host"))) {
            throw ApiError.of(421, "host_not_allowed", "this server does not answer to the host "
                    + ApiError.shown(ctx.header("Host")) + " (see CLOUDRUN_ALLOWED_HOSTS)");
        }
    }

    private void checkOrigin(Context ctx) {
        if (!origins.allows(ctx.header("Origin"), ctx.header("Host"))) {
            throw ApiError.of(403, "origin_not_allowed", "requests from origin " + ctx.header("Origin")
                    + " are not allowed (see CLOUDRUN_CORS_ORIGINS)");
        }
    }

    private void checkRate(Context ctx) {
        checkRate(clients.of(ctx));
    }

    /**
     * Counts one request against the per-address rate, for endpoints that Javalin does not route (a servlet).
     *
     * @param address the client's address
     * @throws ApiError 429 {@code rate_limited} when the address is over its rate
     */
    public void checkRate(String address) {
        requestsPerIp.tryAcquire(address).ifPresent(wait -> {
            throw ApiError.tooManyRequests("rate_limited", "too many requests from this address; slow down", wait);
        });
    }

    /** @return the allowed origins */
    public OriginPolicy origins() {
        return origins;
    }

    /** Forgets idle addresses. */
    public void evictIdle() {
        requestsPerIp.evictIdle();
    }
}
