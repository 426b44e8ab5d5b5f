package dev.cloudrun.server.compat.piston;

import dev.cloudrun.server.auth.AuthService;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyScope;
import dev.cloudrun.server.keys.ApiKeyService;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who runs a Piston request. Piston has no authentication; here a request that brings
 * {@code Authorization: Bearer cr_...} (a CloudRun API key with scope {@code run}; also bare, as the
 * Piston Discord bot sends its key, or a session token after {@code Bearer}) runs as that user, and
 * one that brings nothing runs as the anonymous guest of its client address: one
 * guest account per address, with a guest's quotas and the address's limits, as if the client had
 * opened a guest session in the IDE.
 */
final class PistonCallers {
    /** After this long a new guest is made for the address, so that the old one can be purged when idle. */
    private static final Duration GUEST_REUSE = Duration.ofHours(12);
    /** The most addresses whose guest is remembered (the oldest is forgotten first). */
    private static final int MAX_REMEMBERED = 10_000;

    private record Guest(Principal principal, long createdAtMillis) { }

    private final AuthService auth;
    private final ApiKeyService keys;
    private final Clock clock;
    private final Map<String, Guest> guests = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Guest> eldest) {
            return size() > MAX_REMEMBERED;
        }
    };

    PistonCallers(AuthService auth, ApiKeyService keys, Clock clock) {
        this.auth = auth;
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * @param ctx the request (or the WebSocket's upgrade request)
     * @return the user a credential names, or null when the request brings none
     * @throws ApiError 401 or 403 for a credential that is wrong or lacks the scope {@code run}
     */
    Principal authenticated(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            return null;
        }
        boolean bearer = header.regionMatches(true, 0, "Bearer ", 0, 7);
        String credential = bearer ? header.substring(7).trim() : header.trim();
        if (ApiKeyService.looksLikeKey(credential)) {
            ApiKey key = keys.authenticate(credential).orElseThrow(() -> ApiError.of(401, "unauthorized",
                    "a valid API key is required (Authorization: Bearer cr_...); make one under API keys in the IDE"));
            if (!key.allows(ApiKeyScope.RUN)) {
                throw ApiError.of(403, "scope_missing", "this API key lacks the scope " + ApiKeyScope.RUN.wireName());
            }
            return new Principal(key.userId(), null, false);
        }
        if (bearer) {
            return auth.authenticate(credential).orElseThrow(ApiError::unauthorized);
        }
        throw ApiError.of(401, "unauthorized", "Authorization must be a CloudRun API key (Bearer cr_...) or Bearer and a session token");
    }

    /**
     * @param address a client address
     * @return the address's anonymous guest, made on first use
     * @throws ApiError 429 when the address made too many guests lately
     */
    synchronized Principal anonymous(String address) {
        long now = clock.millis();
        Guest known = guests.get(address);
        if (known != null && now - known.createdAtMillis() < GUEST_REUSE.toMillis()) {
            return known.principal();
        }
        AuthService.Session session = auth.guest(address);
        Principal principal = new Principal(session.user().id(), null, true);
        guests.put(address, new Guest(principal, now));
        return principal;
    }
}
