package dev.cloudrun.server.grading;

import dev.cloudrun.server.db.DatabaseUrl;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.Query;

/**
 * Submissions, and the durable queue they wait in. Every node of a deployment runs the same
 * statements on the same database:
 * <ul>
 *   <li>a node <b>claims</b> the waiting submission with the lowest ticket in one transaction (on
 *       PostgreSQL {@code FOR UPDATE SKIP LOCKED}, so nodes never wait for or take each other's rows;
 *       SQLite has one writer at a time anyway), setting a <b>lease</b> (its node id and a deadline);</li>
 *   <li>while it grades it renews the lease; a node that dies stops renewing, and any node puts a
 *       submission whose lease ran out back in the queue ({@link #requeueExpired});</li>
 *   <li>only the holder of the current lease (node and attempt) can record the result, so a node that
 *       lost its lease while paused cannot mark a submission done a second time.</li>
 * </ul>
 */
final class SubmissionRepository {
    static final String COLUMNS = "id, user_id, key_id, problem_id, language, status, ticket, attempts, lease_owner, verdict,"
            + " score, max_score, message, callback_url, callback_state, created_at, started_at, finished_at";
    private static final RowMapper<Submission> MAPPER = (rs, ctx) -> new Submission(rs.getString("id"), rs.getString("user_id"),
            rs.getString("key_id"), rs.getString("problem_id"), rs.getString("language"), rs.getString("status"),
            rs.getLong("ticket"), rs.getInt("attempts"), rs.getString("lease_owner"), rs.getString("verdict"),
            nullableDouble(rs.getDouble("score"), rs.wasNull()), nullableDouble(rs.getDouble("max_score"), rs.wasNull()),
            rs.getString("message"), rs.getString("callback_url"), rs.getString("callback_state"), rs.getLong("created_at"),
            nullableLong(rs.getLong("started_at"), rs.wasNull()), nullableLong(rs.getLong("finished_at"), rs.wasNull()));

    private final Jdbi jdbi;
    private final String skipLocked;

    SubmissionRepository(Jdbi jdbi, DatabaseUrl.Kind kind) {
        this.jdbi = jdbi;
        this.skipLocked = kind == DatabaseUrl.Kind.POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
    }

    private static Double nullableDouble(double value, boolean wasNull) {
        return wasNull ? null : value;
    }

    private static Long nullableLong(long value, boolean wasNull) {
        return wasNull ? null : value;
    }

    /** What a new submission holds. */
    record NewSubmission(String id, String problemId, byte[] suite, String language, byte[] source, byte[] files,
            String callbackUrl) { }

    /** Why a key may not submit now. */
    enum Refusal { QUEUE_FULL, RATE }

    /** The outcome of {@link #insert}: the refusal, or null when stored. */
    record Inserted(Refusal refusal, long oldestInWindowMillis) { }

    /**
     * Stores submissions in one transaction, all or none, after checking the key's limits.
     *
     * @param userId the owner
     * @param keyId the key
     * @param batch the submissions
     * @param now the time
     * @param maxQueued the key's limit of waiting submissions
     * @param perMinute the key's limit of submissions per minute
     * @return whether they were stored, or which limit refused them
     */
    Inserted insert(String userId, String keyId, List<NewSubmission> batch, long now, int maxQueued, int perMinute) {
        return jdbi.inTransaction(handle -> {
            int queued = handle.createQuery("SELECT COUNT(*) FROM submissions WHERE key_id = :key AND status = 'QUEUED'")
                    .bind("key", keyId).mapTo(Integer.class).one();
            if (queued + batch.size() > maxQueued) {
                return new Inserted(Refusal.QUEUE_FULL, 0);
            }
            List<Long> recent = handle.createQuery("SELECT created_at FROM submissions WHERE key_id = :key AND created_at > :since"
                            + " ORDER BY created_at LIMIT :limit")
                    .bind("key", keyId).bind("since", now - 60_000).bind("limit", perMinute + 1).mapTo(Long.class).list();
            if (recent.size() + batch.size() > perMinute) {
                int mustLeave = recent.size() + batch.size() - perMinute;
                return new Inserted(Refusal.RATE, recent.isEmpty() ? now : recent.get(Math.min(mustLeave, recent.size()) - 1));
            }
            long clock = handle.createQuery("SELECT ticket FROM grading_clock WHERE id = 1").mapTo(Long.class).one();
            long keyLast = handle.createQuery("SELECT COALESCE(MAX(ticket), 0) FROM submissions WHERE key_id = :key")
                    .bind("key", keyId).mapTo(Long.class).one();
            long ticket = Math.max(clock, keyLast);
            for (NewSubmission submission : batch) {
                handle.createUpdate("INSERT INTO submissions (id, user_id, key_id, problem_id, suite, language, source, files,"
                                + " callback_url, status, ticket, attempts, created_at, callback_attempts)"
                                + " VALUES (:id, :user, :key, :problem, :suite, :language, :source, :files, :callback, 'QUEUED',"
                                + " :ticket, 0, :now, 0)")
                        .bind("id", submission.id()).bind("user", userId).bind("key", keyId)
                        .bind("problem", submission.problemId()).bind("suite", submission.suite())
                        .bind("language", submission.language()).bind("source", submission.source())
                        .bind("files", submission.files()).bind("callback", submission.callbackUrl())
                        .bind("ticket", ++ticket).bind("now", now)
                        .execute();
            }
            return new Inserted(null, 0);
        });
    }

    /** A claimed submission: the row, and the attempt that this node's lease is for. */
    record Claim(Submission submission, int attempt) { }

    /**
     * Claims the next waiting submission.
     *
     * @param node this node's id
     * @param now the time
     * @param leaseUntil the lease's deadline
     * @return the claim, empty when nothing waits
     */
    Optional<Claim> claim(String node, long now, long leaseUntil) {
        // Idle graders ask often: a plain read answers "nothing waits" without taking SQLite's write lock.
        boolean waiting = jdbi.withHandle(handle -> handle.createQuery("SELECT id FROM submissions WHERE status = 'QUEUED' LIMIT 1")
                .mapTo(String.class).findOne().isPresent());
        if (!waiting) {
            return Optional.empty();
        }
        return jdbi.inTransaction(handle -> {
            Optional<String> next = handle.createQuery("SELECT id FROM submissions WHERE status = 'QUEUED'"
                            + " ORDER BY ticket, created_at, id LIMIT 1" + skipLocked)
                    .mapTo(String.class).findOne();
            if (next.isEmpty()) {
                return Optional.<Claim>empty();
            }
            int claimed = handle.createUpdate("UPDATE submissions SET status = 'COMPILING', attempts = attempts + 1,"
                            + " lease_owner = :node, lease_until = :until, started_at = :now WHERE id = :id AND status = 'QUEUED'")
                    .bind("node", node).bind("until", leaseUntil).bind("now", now).bind("id", next.get())
                    .execute();
            if (claimed == 0) {
                return Optional.<Claim>empty();
            }
            Submission submission = find(handle, next.get()).orElseThrow();
            handle.createUpdate("UPDATE grading_clock SET ticket = :ticket WHERE id = 1 AND ticket < :ticket")
                    .bind("ticket", submission.ticket()).execute();
            return Optional.of(new Claim(submission, submission.attempts()));
        });
    }

    /** @return whether this node still holds the lease, which is now extended */
    boolean renew(String id, String node, int attempt, long leaseUntil) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE submissions SET lease_until = :until"
                        + " WHERE id = :id AND lease_owner = :node AND attempts = :attempt AND status IN ('COMPILING', 'RUNNING')")
                .bind("until", leaseUntil).bind("id", id).bind("node", node).bind("attempt", attempt).execute()) == 1;
    }

    void markRunning(String id, String node, int attempt) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE submissions SET status = 'RUNNING'"
                        + " WHERE id = :id AND lease_owner = :node AND attempts = :attempt AND status = 'COMPILING'")
                .bind("id", id).bind("node", node).bind("attempt", attempt).execute());
    }

    void addCase(String id, int attempt, int seq, String name, String verdict, byte[] report) {
        jdbi.useHandle(handle -> handle.createUpdate("INSERT INTO submission_cases (submission_id, attempt, seq, name, verdict, report)"
                        + " VALUES (:id, :attempt, :seq, :name, :verdict, :report)")
                .bind("id", id).bind("attempt", attempt).bind("seq", seq).bind("name", name).bind("verdict", verdict)
                .bind("report", report).execute());
    }

    /** How a grading ended. */
    record Result(String status, String verdict, Double score, Double maxScore, byte[] report, String message) { }

    /**
     * Records the result, if this node still holds the lease; a callback becomes due at once.
     *
     * @return whether it was recorded (false: the lease was lost and another node grades it)
     */
    boolean complete(String id, String node, int attempt, Result result, long now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE submissions SET status = :status, verdict = :verdict,"
                        + " score = :score, max_score = :maxScore, report = :report, message = :message, finished_at = :now,"
                        + " graded_by = lease_owner, lease_until = NULL,"
                        + " callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'PENDING' END,"
                        + " callback_next_at = CASE WHEN callback_url IS NULL THEN NULL ELSE :now END"
                        + " WHERE id = :id AND lease_owner = :node AND attempts = :attempt AND status IN ('COMPILING', 'RUNNING')")
                .bind("status", result.status()).bind("verdict", result.verdict()).bind("score", result.score())
                .bind("maxScore", result.maxScore()).bind("report", result.report())
                .bind("message", result.message() == null ? null : truncate(result.message(), 1000))
                .bind("now", now).bind("id", id).bind("node", node).bind("attempt", attempt)
                .execute()) == 1;
    }

    /** Gives a claim back without counting it (this node is shutting down, or its sandbox queue is full). */
    void release(String id, String node, int attempt) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE submissions SET status = 'QUEUED', attempts = attempts - 1,"
                        + " lease_owner = NULL, lease_until = NULL"
                        + " WHERE id = :id AND lease_owner = :node AND attempts = :attempt AND status IN ('COMPILING', 'RUNNING')")
                .bind("id", id).bind("node", node).bind("attempt", attempt).execute());
    }

    /**
     * Puts back in the queue every submission whose lease ran out: its node died or lost the database.
     *
     * @return how many
     */
    int requeueExpired(long now) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE submissions SET status = 'QUEUED', lease_owner = NULL,"
                        + " lease_until = NULL WHERE status IN ('COMPILING', 'RUNNING') AND lease_until < :now")
                .bind("now", now).execute());
    }

    /**
     * Puts back in the queue every submission being graded: for a database only this node uses
     * (SQLite), whose previous process was killed.
     *
     * @return how many
     */
    int requeueAllInProgress() {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE submissions SET status = 'QUEUED', lease_owner = NULL,"
                + " lease_until = NULL WHERE status IN ('COMPILING', 'RUNNING')").execute());
    }

    Optional<Submission> find(String userId, String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM submissions WHERE id = :id AND user_id = :user")
                .bind("id", id).bind("user", userId).map(MAPPER).findOne());
    }

    Optional<Submission> findAny(String id) {
        return jdbi.withHandle(handle -> find(handle, id));
    }

    private static Optional<Submission> find(Handle handle, String id) {
        return handle.createQuery("SELECT " + COLUMNS + " FROM submissions WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** The large columns a grading needs. */
    record Work(byte[] suite, byte[] source, byte[] files) { }

    Work work(String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT suite, source, files FROM submissions WHERE id = :id")
                .bind("id", id)
                .map((rs, ctx) -> new Work(rs.getBytes("suite"), rs.getBytes("source"), rs.getBytes("files")))
                .one());
    }

    Optional<byte[]> report(String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT report FROM submissions WHERE id = :id")
                .bind("id", id).mapTo(byte[].class).findOne());
    }

    /** A case result as stored. */
    record CaseRow(int seq, String name, String verdict, byte[] report) { }

    List<CaseRow> cases(String id, int attempt, int afterSeq) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT seq, name, verdict, report FROM submission_cases"
                        + " WHERE submission_id = :id AND attempt = :attempt AND seq > :after ORDER BY seq")
                .bind("id", id).bind("attempt", attempt).bind("after", afterSeq)
                .map((rs, ctx) -> new CaseRow(rs.getInt("seq"), rs.getString("name"), rs.getString("verdict"), rs.getBytes("report")))
                .list());
    }

    /**
     * A page of a user's submissions, newest first.
     *
     * @param before the {@code created_at}/{@code id} cursor of the previous page's last row, or null
     */
    List<Submission> list(String userId, String problemId, String status, int limit, Cursor before) {
        return jdbi.withHandle(handle -> {
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM submissions WHERE user_id = :user");
            if (problemId != null) {
                sql.append(" AND problem_id = :problem");
            }
            if (status != null) {
                sql.append(" AND status = :status");
            }
            if (before != null) {
                sql.append(" AND (created_at < :beforeTime OR (created_at = :beforeTime AND id < :beforeId))");
            }
            sql.append(" ORDER BY created_at DESC, id DESC LIMIT :limit");
            Query query = handle.createQuery(sql.toString()).bind("user", userId).bind("limit", limit);
            if (problemId != null) {
                query.bind("problem", problemId);
            }
            if (status != null) {
                query.bind("status", status);
            }
            if (before != null) {
                query.bind("beforeTime", before.createdAtMillis()).bind("beforeId", before.id());
            }
            return query.map(MAPPER).list();
        });
    }

    /** Where a page ends. */
    record Cursor(long createdAtMillis, String id) { }

    private static String truncate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
