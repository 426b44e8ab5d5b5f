package dev.cloudrun.server.grading;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** Stores problems with their suite (a JSON document or the zip as uploaded). */
final class ProblemRepository {
    private static final String COLUMNS = "id, owner_id, name, version, format, case_count, max_score, created_at, updated_at";
    private static final RowMapper<Problem> MAPPER = (rs, ctx) -> new Problem(rs.getString("id"), rs.getString("owner_id"),
            rs.getString("name"), rs.getInt("version"), rs.getString("format"), rs.getInt("case_count"),
            rs.getDouble("max_score"), rs.getLong("created_at"), rs.getLong("updated_at"));

    private final Jdbi jdbi;

    ProblemRepository(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** @return false (nothing stored) when the owner has {@code maxPerUser} problems already */
    boolean insert(Problem problem, byte[] suite, int maxPerUser) {
        return jdbi.inTransaction(handle -> {
            int owned = handle.createQuery("SELECT COUNT(*) FROM problems WHERE owner_id = :owner")
                    .bind("owner", problem.ownerId()).mapTo(Integer.class).one();
            if (owned >= maxPerUser) {
                return false;
            }
            handle.createUpdate("INSERT INTO problems (" + COLUMNS + ", suite) VALUES (:id, :owner, :name, :version, :format,"
                            + " :cases, :maxScore, :created, :updated, :suite)")
                    .bind("id", problem.id()).bind("owner", problem.ownerId()).bind("name", problem.name())
                    .bind("version", problem.version()).bind("format", problem.format()).bind("cases", problem.caseCount())
                    .bind("maxScore", problem.maxScore()).bind("created", problem.createdAtMillis())
                    .bind("updated", problem.updatedAtMillis()).bind("suite", suite)
                    .execute();
            return true;
        });
    }

    /** Replaces a problem's suite and name; @return the new version, empty when the owner has no such problem */
    Optional<Integer> replace(Problem replacement, byte[] suite) {
        return jdbi.inTransaction(handle -> {
            int updated = handle.createUpdate("UPDATE problems SET name = :name, version = version + 1, format = :format,"
                            + " case_count = :cases, max_score = :maxScore, updated_at = :updated, suite = :suite"
                            + " WHERE id = :id AND owner_id = :owner")
                    .bind("name", replacement.name()).bind("format", replacement.format()).bind("cases", replacement.caseCount())
                    .bind("maxScore", replacement.maxScore()).bind("updated", replacement.updatedAtMillis())
                    .bind("suite", suite).bind("id", replacement.id()).bind("owner", replacement.ownerId())
                    .execute();
            if (updated == 0) {
                return Optional.<Integer>empty();
            }
            return Optional.of(handle.createQuery("SELECT version FROM problems WHERE id = :id")
                    .bind("id", replacement.id()).mapTo(Integer.class).one());
        });
    }

    Optional<Problem> find(String ownerId, String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM problems WHERE id = :id AND owner_id = :owner")
                .bind("id", id).bind("owner", ownerId).map(MAPPER).findOne());
    }

    /** The suite's stored bytes of one version; empty when the problem is gone or has changed since. */
    Optional<byte[]> suite(String id, int version) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT suite FROM problems WHERE id = :id AND version = :version")
                .bind("id", id).bind("version", version).mapTo(byte[].class).findOne());
    }

    List<Problem> list(String ownerId, int limit, int offset) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM problems WHERE owner_id = :owner"
                        + " ORDER BY created_at, id LIMIT :limit OFFSET :offset")
                .bind("owner", ownerId).bind("limit", limit).bind("offset", offset).map(MAPPER).list());
    }

    boolean delete(String ownerId, String id) {
        return jdbi.withHandle(handle -> handle.createUpdate("DELETE FROM problems WHERE id = :id AND owner_id = :owner")
                .bind("id", id).bind("owner", ownerId).execute()) == 1;
    }
}
