package dev.cloudrun.server.keys;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** Stores API keys: their hash, never their secret. A revoked key keeps its row (submissions name it). */
final class ApiKeyRepository {
    private static final String COLUMNS = "id, user_id, name, scopes, created_at, last_used_at";
    private static final RowMapper<ApiKey> MAPPER = (rs, ctx) -> {
        long lastUsed = rs.getLong("last_used_at");
        return new ApiKey(rs.getString("id"), rs.getString("user_id"), rs.getString("name"), scopes(rs.getString("scopes")),
                rs.getLong("created_at"), rs.wasNull() ? null : lastUsed);
    };

    private final Jdbi jdbi;

    ApiKeyRepository(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    private static Set<ApiKeyScope> scopes(String text) {
        EnumSet<ApiKeyScope> scopes = EnumSet.noneOf(ApiKeyScope.class);
        Arrays.stream(text.split(",")).filter(s -> !s.isEmpty()).forEach(s -> scopes.add(ApiKeyScope.parse(s, "scopes")));
        return scopes;
    }

    /** A key with its hash, as authentication needs it. */
    record Stored(ApiKey key, String secretHash) { }

    /**
     * Inserts a key unless its owner already has {@code maxPerUser} live keys.
     *
     * @return false (nothing inserted) when the owner has too many
     */
    boolean insert(ApiKey key, String secretHash, int maxPerUser) {
        return jdbi.inTransaction(handle -> {
            int live = handle.createQuery("SELECT COUNT(*) FROM api_keys WHERE user_id = :user AND revoked_at IS NULL")
                    .bind("user", key.userId()).mapTo(Integer.class).one();
            if (live >= maxPerUser) {
                return false;
            }
            handle.createUpdate("INSERT INTO api_keys (id, user_id, name, scopes, secret_hash, created_at)"
                            + " VALUES (:id, :user, :name, :scopes, :hash, :created)")
                    .bind("id", key.id()).bind("user", key.userId()).bind("name", key.name())
                    .bind("scopes", key.scopes().stream().map(ApiKeyScope::wireName).sorted().collect(Collectors.joining(",")))
                    .bind("hash", secretHash).bind("created", key.createdAtMillis())
                    .execute();
            return true;
        });
    }

    List<ApiKey> listLive(String userId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM api_keys"
                        + " WHERE user_id = :user AND revoked_at IS NULL ORDER BY created_at, id")
                .bind("user", userId).map(MAPPER).list());
    }

    Optional<Stored> findLive(String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + ", secret_hash FROM api_keys"
                        + " WHERE id = :id AND revoked_at IS NULL")
                .bind("id", id)
                .map((rs, ctx) -> new Stored(MAPPER.map(rs, ctx), rs.getString("secret_hash")))
                .findOne());
    }

    /** @return whether a live key of this user was revoked */
    boolean revoke(String userId, String id, long now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE api_keys SET revoked_at = :now"
                        + " WHERE id = :id AND user_id = :user AND revoked_at IS NULL")
                .bind("now", now).bind("id", id).bind("user", userId).execute()) == 1;
    }

    void touch(String id, long now) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE api_keys SET last_used_at = :now WHERE id = :id")
                .bind("now", now).bind("id", id).execute());
    }
}
