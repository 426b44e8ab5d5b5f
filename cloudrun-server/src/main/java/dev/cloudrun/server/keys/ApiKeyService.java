package dev.cloudrun.server.keys;

import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * API keys for machine clients (an LMS, a contest system): a signed-in user makes one, sees its
 * token once, and revokes it. Guests cannot make keys: their accounts are purged when idle.
 */
public final class ApiKeyService {
    /** The longest key name. */
    public static final int MAX_NAME_CHARS = 100;
    private static final long TOUCH_EVERY_MILLIS = 60_000;

    private final ApiKeyRepository keys;
    private final Clock clock;
    private final int maxKeysPerUser;

    /**
     * Creates the service.
     *
     * @param jdbi the database
     * @param clock the clock
     * @param maxKeysPerUser how many live keys one user may have
     */
    public ApiKeyService(org.jdbi.v3.core.Jdbi jdbi, Clock clock, int maxKeysPerUser) {
        this.keys = new ApiKeyRepository(jdbi);
        this.clock = clock;
        this.maxKeysPerUser = maxKeysPerUser;
    }

    /**
     * A key just made, with its token: the only time the token exists outside the client.
     *
     * @param key the key
     * @param token {@code cr_<id>_<secret>}
     */
    public record CreatedKey(ApiKey key, String token) { }

    /**
     * Makes a key.
     *
     * @param owner the signed-in user
     * @param name its label, 1 to 100 characters
     * @param scopes what it may do, at least one
     * @return the key and its token
     * @throws ApiError 403 for a guest, 400 naming the field, 409 {@code too_many_keys}
     */
    public CreatedKey create(Principal owner, String name, Set<ApiKeyScope> scopes) {
        if (owner.guest()) {
            throw ApiError.of(403, "guest_not_allowed", "guests cannot make API keys: register an account first");
        }
        String label = name == null ? "" : name.strip();
        if (label.isEmpty() || label.length() > MAX_NAME_CHARS || label.chars().anyMatch(Character::isISOControl)) {
            throw ApiError.badField("invalid_field", "name", "name must be 1 to " + MAX_NAME_CHARS
                    + " characters without control characters");
        }
        if (scopes.isEmpty()) {
            throw ApiError.badField("invalid_field", "scopes", "scopes must name at least one of grade, run");
        }
        ApiKeyTokens.Parts parts = ApiKeyTokens.generate();
        ApiKey key = new ApiKey(parts.id(), owner.userId(), label, scopes, clock.millis(), null);
        if (!keys.insert(key, ApiKeyTokens.hash(parts.secret()), maxKeysPerUser)) {
            throw ApiError.conflict("too_many_keys", "name", "you have " + maxKeysPerUser
                    + " API keys already: revoke one first");
        }
        return new CreatedKey(key, parts.token());
    }

    /**
     * @param owner the user
     * @return the user's live keys, oldest first
     */
    public List<ApiKey> list(Principal owner) {
        return keys.listLive(owner.userId());
    }

    /**
     * Revokes a key: it stops working at once, on every node.
     *
     * @param owner the user
     * @param keyId the key
     * @throws ApiError 404 when the user has no such live key
     */
    public void revoke(Principal owner, String keyId) {
        if (!keys.revoke(owner.userId(), keyId, clock.millis())) {
            throw ApiError.notFound("API key");
        }
    }

    /**
     * @param token a bearer token
     * @return whether it is shaped like an API key (and not a session token)
     */
    public static boolean looksLikeKey(String token) {
        return token.startsWith(ApiKeyTokens.PREFIX);
    }

    /**
     * Checks a presented token.
     *
     * @param token the bearer token
     * @return the live key it belongs to, empty for a malformed, unknown, wrong or revoked one
     */
    public Optional<ApiKey> authenticate(String token) {
        Optional<ApiKeyTokens.Parts> parts = ApiKeyTokens.parse(token);
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        Optional<ApiKeyRepository.Stored> stored = keys.findLive(parts.get().id());
        // Hash even when the id is unknown, so that timing does not tell which ids exist.
        String presented = ApiKeyTokens.hash(parts.get().secret());
        if (stored.isEmpty() || !ApiKeyTokens.sameHash(presented, stored.get().secretHash())) {
            return Optional.empty();
        }
        ApiKey key = stored.get().key();
        long now = clock.millis();
        if (key.lastUsedAtMillis() == null || now - key.lastUsedAtMillis() >= TOUCH_EVERY_MILLIS) {
            keys.touch(key.id(), now);
        }
        return Optional.of(key);
    }
}
