package dev.cloudrun.server.db;

import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Stores every run: inserted when it starts (with the node that runs it), completed when it ends.
 */
public final class RunRepository {
    private static final String COLUMNS = "id, user_id, project_id, language, entry_path, via, status, exit_code, wall_time_ms,"
            + " cpu_time_ms, memory_bytes, stdout_bytes, stderr_bytes, message, started_at, finished_at";
    private static final RowMapper<RunRecord> MAPPER = (rs, ctx) -> new RunRecord(rs.getString("id"), rs.getString("user_id"),
            rs.getString("project_id"), rs.getString("language"), rs.getString("entry_path"), rs.getString("via"),
            rs.getString("status"),
            (Integer) nullable(rs.getInt("exit_code"), rs.wasNull()), (Long) nullable(rs.getLong("wall_time_ms"), rs.wasNull()),
            (Long) nullable(rs.getLong("cpu_time_ms"), rs.wasNull()), (Long) nullable(rs.getLong("memory_bytes"), rs.wasNull()),
            (Long) nullable(rs.getLong("stdout_bytes"), rs.wasNull()), (Long) nullable(rs.getLong("stderr_bytes"), rs.wasNull()),
            rs.getString("message"), rs.getLong("started_at"), (Long) nullable(rs.getLong("finished_at"), rs.wasNull()));

    private final Jdbi jdbi;
    private final DatabaseUrl.Kind kind;
    private final String node;

    /**
     * Creates the repository.
     *
     * @param jdbi the database
     * @param kind SQLite (one process) or PostgreSQL (maybe several nodes)
     * @param node this node's id, recorded with the runs it starts
     */
    public RunRepository(Jdbi jdbi, DatabaseUrl.Kind kind, String node) {
        this.jdbi = jdbi;
        this.kind = kind;
        this.node = node;
    }

    private static Object nullable(Object value, boolean wasNull) {
        return wasNull ? null : value;
    }

    /**
     * Records a run that just started.
     *
     * @param run the record, status {@code RUNNING}
     */
    public void insertStarted(RunRecord run) {
        jdbi.useHandle(handle -> handle.createUpdate("INSERT INTO runs (id, user_id, project_id, language, entry_path, via, status,"
                        + " started_at, node_id) VALUES (:id, :user, :project, :language, :entry, :via, :status, :started, :node)")
                .bind("node", node)
                .bind("id", run.id()).bind("user", run.userId()).bind("project", run.projectId())
                .bind("language", run.language()).bind("entry", run.entryPath()).bind("via", run.via())
                .bind("status", run.status())
                .bind("started", run.startedAtMillis())
                .execute());
    }

    /**
     * Records how a run ended.
     *
     * @param run the completed record (matched by id)
     */
    public void complete(RunRecord run) {
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE runs SET status = :status, exit_code = :exitCode,"
                        + " wall_time_ms = :wall, cpu_time_ms = :cpu, memory_bytes = :memory, stdout_bytes = :stdout,"
                        + " stderr_bytes = :stderr, message = :message, finished_at = :finished WHERE id = :id")
                .bind("status", run.status()).bind("exitCode", run.exitCode()).bind("wall", run.wallTimeMs())
                .bind("cpu", run.cpuTimeMs()).bind("memory", run.memoryBytes()).bind("stdout", run.stdoutBytes())
                .bind("stderr", run.stderrBytes()).bind("message", run.message()).bind("finished", run.finishedAtMillis())
                .bind("id", run.id())
                .execute());
    }

    /**
     * @param userId the user
     * @param limit at most this many
     * @return the user's runs, newest first
     */
    public List<RunRecord> listByUser(String userId, int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM runs WHERE user_id = :user"
                        + " ORDER BY started_at DESC, id DESC LIMIT :limit")
                .bind("user", userId).bind("limit", limit).map(MAPPER).list());
    }

    /**
     * @param userId the user (another user's runs of the project are not listed)
     * @param projectId the project
     * @param limit at most this many
     * @return the user's runs of that project, newest first
     */
    public List<RunRecord> listByProject(String userId, String projectId, int limit) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM runs WHERE user_id = :user"
                        + " AND project_id = :project ORDER BY started_at DESC, id DESC LIMIT :limit")
                .bind("user", userId).bind("project", projectId).bind("limit", limit).map(MAPPER).list());
    }

    /**
     * @param userId the user (someone else's run is not found)
     * @param runId the run
     * @return the run
     */
    public Optional<RunRecord> find(String userId, String runId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM runs WHERE id = :id AND user_id = :user")
                .bind("id", runId).bind("user", userId).map(MAPPER).findOne());
    }

    /**
     * At start, marks the runs a previous process of this node left {@code RUNNING} as
     * {@code INTERNAL_ERROR}. On SQLite only one process uses the database, so every run still
     * {@code RUNNING} was its; on PostgreSQL other nodes may be running theirs, so only this node's
     * (a node keeps its id across restarts only when {@code CLOUDRUN_NODE_ID} is set) and those that
     * no node recorded. The rest are left to {@link #markAbandoned}.
     *
     * @param nowMillis the time
     * @return how many were marked
     */
    public int markInterrupted(long nowMillis) {
        String which = kind == DatabaseUrl.Kind.SQLITE ? "" : " AND (node_id = :node OR node_id IS NULL)";
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE runs SET status = 'INTERNAL_ERROR',"
                        + " message = 'the server stopped during this run', finished_at = :now WHERE status = 'RUNNING'" + which)
                .bind("now", nowMillis).bind("node", node).execute());
    }

    /**
     * Marks runs that started before a cutoff and are still {@code RUNNING} as {@code INTERNAL_ERROR}:
     * every run is cancelled at the server's run deadline, so one still running well after it belongs
     * to a node that died. Every node sweeps so, whichever survives.
     *
     * @param startedBeforeMillis runs started before this are abandoned
     * @param nowMillis the time
     * @return how many were marked
     */
    public int markAbandoned(long startedBeforeMillis, long nowMillis) {
        return jdbi.withHandle(handle -> handle.createUpdate("UPDATE runs SET status = 'INTERNAL_ERROR',"
                        + " message = 'the server node running it stopped', finished_at = :now"
                        + " WHERE status = 'RUNNING' AND started_at < :cutoff")
                .bind("now", nowMillis).bind("cutoff", startedBeforeMillis).execute());
    }
}
