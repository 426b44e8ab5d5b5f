package dev.cloudrun.server.compat.judge0;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** The {@code judge0_submissions} table (V4__judge0.sql): the durable queue and the results. */
final class Judge0Store {

    /**
     * One stored submission.
     *
     * @param token Judge0's token
     * @param ownerId the key's user, or the stand-in of a keyless address
     * @param keyId the API key it came with, or null
     * @param address the client address
     * @param languageId Judge0's language id
     * @param statusId Judge0's status id
     * @param request the normalised fields, JSON
     * @param additionalFiles the attached zip, or null
     * @param result the outcome, JSON, or null
     * @param callbackUrl where to PUT the result, or null
     * @param createdAt epoch milliseconds
     * @param startedAt epoch milliseconds, or null
     * @param finishedAt epoch milliseconds, or null
     */
    record Row(String token, String ownerId, String keyId, String address, int languageId, int statusId, byte[] request,
               byte[] additionalFiles, byte[] result, String callbackUrl, long createdAt, Long startedAt, Long finishedAt) { }

    private static final RowMapper<Row> MAPPER = (rs, ctx) -> new Row(rs.getString("token"), rs.getString("owner_id"),
            rs.getString("key_id"), rs.getString("address"), rs.getInt("language_id"), rs.getInt("status_id"),
            rs.getBytes("request"), rs.getBytes("additional_files"), rs.getBytes("result"), rs.getString("callback_url"),
            rs.getLong("created_at"), nullableLong(rs, "started_at"), nullableLong(rs, "finished_at"));

    private static Long nullableLong(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : value;
    }

    private final Jdbi jdbi;

    Judge0Store(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    void insert(Row row) {
        jdbi.useHandle(handle -> handle.createUpdate("INSERT INTO judge0_submissions (token, owner_id, key_id, address,"
                        + " language_id, status_id, request, additional_files, callback_url, created_at)"
                        + " VALUES (:token, :owner, :key, :address, :language, :status, :request, :files, :callback, :created)")
                .bind("token", row.token()).bind("owner", row.ownerId()).bind("key", row.keyId()).bind("address", row.address())
                .bind("language", row.languageId()).bind("status", row.statusId()).bind("request", row.request())
                .bind("files", row.additionalFiles()).bind("callback", row.callbackUrl()).bind("created", row.createdAt())
                .execute());
    }

    Optional<Row> find(String token) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM judge0_submissions WHERE token = :token")
                .bind("token", token).map(MAPPER).findOne());
    }

    List<Row> findAll(List<String> tokens) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM judge0_submissions WHERE token IN (<tokens>)")
                .bindList("tokens", tokens).map(MAPPER).list());
    }

    /** @return how many submissions the API key made (of its user's) */
    int countByKey(String ownerId, String keyId) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT COUNT(*) FROM judge0_submissions WHERE owner_id = :owner AND key_id = :key")
                .bind("owner", ownerId).bind("key", keyId).mapTo(Integer.class).one());
    }

    /** @return one page of the API key's submissions, newest first (Judge0's default scope) */
    List<Row> pageByKey(String ownerId, String keyId, int limit, long offset) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM judge0_submissions"
                        + " WHERE owner_id = :owner AND key_id = :key ORDER BY created_at DESC, token LIMIT :limit OFFSET :offset")
                .bind("owner", ownerId).bind("key", keyId).bind("limit", limit).bind("offset", offset).map(MAPPER).list());
    }

    /** @return the number of submissions per value of {@code column} ({@code language_id} or {@code status_id}) */
    java.util.Map<Integer, Long> countBy(String column) {
        if (!column.equals("language_id") && !column.equals("status_id")) {
            throw new IllegalArgumentException(column);
        }
        java.util.Map<Integer, Long> counts = new java.util.LinkedHashMap<>();
        jdbi.useHandle(handle -> handle.createQuery("SELECT " + column + " AS value, COUNT(*) AS n FROM judge0_submissions"
                        + " GROUP BY " + column)
                .map((rs, ctx) -> java.util.Map.entry(rs.getInt("value"), rs.getLong("n")))
                .forEach(entry -> counts.put(entry.getKey(), entry.getValue())));
        return counts;
    }

    /** @return the number of submissions per UTC day (epoch day) created since {@code sinceMillis} */
    java.util.Map<Long, Long> countPerDaySince(long sinceMillis) {
        java.util.Map<Long, Long> counts = new java.util.HashMap<>();
        jdbi.useHandle(handle -> handle.createQuery("SELECT created_at / 86400000 AS day, COUNT(*) AS n"
                        + " FROM judge0_submissions WHERE created_at >= :since GROUP BY created_at / 86400000")
                .bind("since", sinceMillis)
                .map((rs, ctx) -> java.util.Map.entry(rs.getLong("day"), rs.getLong("n")))
                .forEach(entry -> counts.put(entry.getKey(), entry.getValue())));
        return counts;
    }

    /** @return every stored submission */
    long total() {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM judge0_submissions")
                .mapTo(Long.class).one());
    }

    /** @return the database's size in bytes (PostgreSQL's {@code pg_database_size}, SQLite's pages) */
    long databaseBytes() {
        return jdbi.withHandle(handle -> {
            String product;
            try {
                product = handle.getConnection().getMetaData().getDatabaseProductName();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("the database does not tell its product", e);
            }
            if (product.toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
                return handle.createQuery("SELECT pg_database_size(current_database())").mapTo(Long.class).one();
            }
            long pages = handle.createQuery("PRAGMA page_count").mapTo(Long.class).one();
            long pageSize = handle.createQuery("PRAGMA page_size").mapTo(Long.class).one();
            return pages * pageSize;
        });
    }

    /** @return how many of the owner's submissions wait or run */
    int pending(String ownerId) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT COUNT(*) FROM judge0_submissions WHERE owner_id = :owner AND status_id IN (1, 2)")
                .bind("owner", ownerId).mapTo(Integer.class).one());
    }

    /** @return the oldest waiting tokens */
    List<String> queued(int limit) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT token FROM judge0_submissions WHERE status_id = 1 ORDER BY created_at LIMIT :limit")
                .bind("limit", limit).mapTo(String.class).list());
    }

    /** @return whether this node took the row (In Queue to Processing, compare-and-set) */
    boolean claim(String token, String node, long now, long leaseUntil) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE judge0_submissions SET status_id = 2,"
                        + " lease_owner = :node, lease_until = :until, started_at = :now WHERE token = :token AND status_id = 1")
                .bind("node", node).bind("until", leaseUntil).bind("now", now).bind("token", token).execute()) == 1;
    }

    /** Moves the end of this node's leases on the rows it runs. */
    void renewLeases(List<String> tokens, String node, long leaseUntil) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE judge0_submissions SET lease_until = :until"
                        + " WHERE token IN (<tokens>) AND status_id = 2 AND lease_owner = :node")
                .bind("until", leaseUntil).bindList("tokens", tokens).bind("node", node).execute());
    }

    /** Puts a claimed row back (the quota or the queue was full). */
    void release(String token, String node) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE judge0_submissions SET status_id = 1, lease_owner = NULL,"
                        + " lease_until = NULL, started_at = NULL WHERE token = :token AND status_id = 2 AND lease_owner = :node")
                .bind("token", token).bind("node", node).execute());
    }

    /** @return how many rows whose node died went back to the queue */
    int requeueExpired(long now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE judge0_submissions SET status_id = 1, lease_owner = NULL,"
                        + " lease_until = NULL WHERE status_id = 2 AND lease_until < :now")
                .bind("now", now).execute());
    }

    void finish(String token, String node, int statusId, byte[] result, long now) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE judge0_submissions SET status_id = :status, result = :result,"
                        + " finished_at = :now, lease_owner = NULL, lease_until = NULL"
                        + " WHERE token = :token AND status_id = 2 AND lease_owner = :node")
                .bind("status", statusId).bind("result", result).bind("now", now).bind("token", token).bind("node", node)
                .execute());
    }

    boolean delete(String token) {
        return jdbi.withHandle(handle -> handle.createUpdate(
                "DELETE FROM judge0_submissions WHERE token = :token AND status_id > 2").bind("token", token).execute()) == 1;
    }
}
