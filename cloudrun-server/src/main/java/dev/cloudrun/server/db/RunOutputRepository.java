package dev.cloudrun.server.db;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Keeps the output of recent runs ({@code run_outputs}): one row per run, written when it ends, and
 * only the newest few per project (and of a user's runs without a project), and the newest more per
 * user in all, so that what a user can store is bounded.
 */
public final class RunOutputRepository {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<List<RunOutput.Chunk>> CHUNKS = new TypeReference<>() { };

    private final Jdbi jdbi;
    private final int keptPerProject;
    private final int keptPerUser;

    /**
     * Creates the repository.
     *
     * @param jdbi the database
     * @param keptPerProject how many runs' output a project (or a user's runs without a project) keeps
     * @param keptPerUser how many runs' output a user keeps in all
     */
    public RunOutputRepository(Jdbi jdbi, int keptPerProject, int keptPerUser) {
        if (keptPerProject < 1 || keptPerUser < 1) {
            throw new IllegalArgumentException("keptPerProject and keptPerUser must be at least 1, were " + keptPerProject
                    + " and " + keptPerUser);
        }
        this.jdbi = jdbi;
        this.keptPerProject = keptPerProject;
        this.keptPerUser = keptPerUser;
    }

    /**
     * Stores a run's output (one insert) and drops the oldest outputs of its project (or of its
     * user's runs without a project), and of its user, beyond the numbers kept.
     *
     * @param output the output; its run must be recorded in {@code runs}
     */
    public void save(RunOutput output) {
        byte[] chunks;
        try {
            chunks = JSON.writeValueAsBytes(output.chunks());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not encode the output of run " + output.runId(), e);
        }
        // Each statement commits on its own: the insert is the run's, the deletes only tidy (a failed or
        // raced one leaves an output too many until the next run's).
        jdbi.useHandle(handle -> {
            handle.createUpdate("INSERT INTO run_outputs (run_id, user_id, project_id, chunks, kept_bytes, truncated,"
                            + " created_at) VALUES (:run, :user, :project, :chunks, :kept, :truncated, :created)")
                    .bind("run", output.runId()).bind("user", output.userId()).bind("project", output.projectId())
                    .bind("chunks", chunks).bind("kept", output.keptBytes()).bind("truncated", output.truncated() ? 1 : 0)
                    .bind("created", output.createdAtMillis())
                    .execute();
            prune(handle, output);
        });
    }

    private void prune(Handle handle, RunOutput output) {
        String owner = output.projectId() != null ? "project_id = :project" : "user_id = :user AND project_id IS NULL";
        deleteBeyond(handle, owner, output, keptPerProject);
        deleteBeyond(handle, "user_id = :user", output, keptPerUser);
    }

    private static void deleteBeyond(Handle handle, String owner, RunOutput output, int kept) {
        handle.createUpdate("DELETE FROM run_outputs WHERE " + owner + " AND run_id NOT IN (SELECT run_id FROM run_outputs"
                        + " WHERE " + owner + " ORDER BY created_at DESC, run_id DESC LIMIT :kept)")
                .bind("project", output.projectId()).bind("user", output.userId()).bind("kept", kept)
                .execute();
    }

    /**
     * @param userId the caller (someone else's run's output is not found)
     * @param runId the run
     * @return its kept output, if any is kept
     */
    public Optional<RunOutput> find(String userId, String runId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT run_id, user_id, project_id, chunks, kept_bytes, truncated,"
                        + " created_at FROM run_outputs WHERE run_id = :run AND user_id = :user")
                .bind("run", runId).bind("user", userId)
                .map((rs, ctx) -> new RunOutput(rs.getString("run_id"), rs.getString("user_id"), rs.getString("project_id"),
                        decode(rs.getBytes("chunks")), rs.getLong("kept_bytes"), rs.getInt("truncated") != 0,
                        rs.getLong("created_at")))
                .findOne());
    }

    private static List<RunOutput.Chunk> decode(byte[] chunks) {
        try {
            return JSON.readValue(chunks, CHUNKS);
        } catch (IOException e) {
            throw new UncheckedIOException("a stored run output is not a JSON list of chunks", e);
        }
    }
}
