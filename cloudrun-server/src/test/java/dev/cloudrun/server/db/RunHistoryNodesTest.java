package dev.cloudrun.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.PostgresSchema;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs left {@code RUNNING} when a node stops, on real SQLite and PostgreSQL: a node that starts
 * marks its own as interrupted, never another live node's (on PostgreSQL, where several nodes share
 * the database), and any node marks those older than the run deadline allows.
 */
class RunHistoryNodesTest {
    @TempDir
    Path directory;
    private Database database;
    private PostgresSchema schema;

    private Database openPostgres() {
        schema = PostgresSchema.create("runs");
        return Database.open(DatabaseUrl.parse(schema.url()));
    }

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
        if (schema != null) {
            schema.drop();
        }
    }

    private void addUser() {
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                + " created_at) VALUES ('u', 'u', 'u', 0, 0)").execute());
    }

    private static void started(RunRepository history, String id, long at) {
        history.insertStarted(new RunRecord(id, "u", null, "python", null, "api", "RUNNING", null, null, null, null, null, null,
                null, at, null));
    }

    private static String status(RunRepository history, String id) {
        return history.find("u", id).orElseThrow().status();
    }

    @Test
    void onPostgresANodeThatStartsMarksOnlyItsOwnRunsAndTheUnrecorded() {
        database = openPostgres();
        addUser();
        RunRepository nodeA = new RunRepository(database.jdbi(), database.kind(), "node-a");
        RunRepository nodeB = new RunRepository(database.jdbi(), database.kind(), "node-b");
        started(nodeA, "a-running", 1_000);
        started(nodeB, "b-before-restart", 1_000);
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO runs (id, user_id, language, via, status,"
                + " started_at) VALUES ('legacy', 'u', 'python', 'api', 'RUNNING', 1000)").execute());

        // Node B restarts (with its id from CLOUDRUN_NODE_ID): A's run goes on.
        assertThat(new RunRepository(database.jdbi(), database.kind(), "node-b").markInterrupted(2_000)).isEqualTo(2);
        assertThat(status(nodeA, "a-running")).isEqualTo("RUNNING");
        assertThat(status(nodeA, "b-before-restart")).isEqualTo("INTERNAL_ERROR");
        assertThat(status(nodeA, "legacy")).isEqualTo("INTERNAL_ERROR");
        assertThat(nodeA.find("u", "b-before-restart").orElseThrow().message()).isEqualTo("the server stopped during this run");

        // A dies for good: once its run is older than the deadline allows, B's sweep marks it; newer runs stay.
        started(nodeA, "a-recent", 50_000);
        assertThat(nodeB.markAbandoned(10_000, 60_000)).isEqualTo(1);
        assertThat(status(nodeB, "a-running")).isEqualTo("INTERNAL_ERROR");
        assertThat(nodeB.find("u", "a-running").orElseThrow().message()).isEqualTo("the server node running it stopped");
        assertThat(status(nodeB, "a-recent")).isEqualTo("RUNNING");
    }

    @Test
    void onSqliteTheOnlyProcessMarksEveryRunItLeftRunning() {
        database = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("runs.db")));
        addUser();
        RunRepository before = new RunRepository(database.jdbi(), database.kind(), "host-1a2b3c");
        started(before, "one", 1_000);
        started(before, "two", 1_000);
        RunRepository finished = before;
        finished.insertStarted(new RunRecord("done", "u", null, "python", null, "api", "RUNNING", null, null, null, null, null,
                null, null, 1_000, null));
        finished.complete(new RunRecord("done", "u", null, "python", null, "api", "OK", 0, 1L, 1L, 1L, 0L, 0L, "ok", 1_000, 1_500L));

        // A restart gets a new random node id; on SQLite it still owns everything.
        assertThat(new RunRepository(database.jdbi(), database.kind(), "host-9f8e7d").markInterrupted(2_000)).isEqualTo(2);
        assertThat(status(before, "one")).isEqualTo("INTERNAL_ERROR");
        assertThat(status(before, "two")).isEqualTo("INTERNAL_ERROR");
        assertThat(status(before, "done")).isEqualTo("OK");
    }
}
