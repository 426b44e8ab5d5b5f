package dev.cloudrun.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.PostgresSchema;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The kept output of runs on real SQLite and PostgreSQL (migration V6): chunks come back in order with
 * their streams, only the owner finds them, each project (and each user's runs without a project)
 * keeps only its newest outputs, so does each user in all, and deleting a user deletes theirs.
 */
class RunOutputRepositoryTest {
    @TempDir
    Path directory;
    private Database database;
    private PostgresSchema schema;

    @AfterEach
    void close() {
        if (database != null) {
            database.close();
        }
        if (schema != null) {
            schema.drop();
        }
    }

    private RunRepository open(DatabaseUrl.Kind kind) {
        if (kind == DatabaseUrl.Kind.SQLITE) {
            database = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("outputs.db")));
        } else {
            schema = PostgresSchema.create("outputs");
            database = Database.open(DatabaseUrl.parse(schema.url()));
        }
        for (String user : List.of("alice", "bob")) {
            database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                    + " created_at) VALUES (:id, :id, :id, 0, 0)").bind("id", user).execute());
        }
        return new RunRepository(database.jdbi(), database.kind(), "node");
    }

    private static void run(RunRepository runs, String id, String user, String project, long at) {
        runs.insertStarted(new RunRecord(id, user, project, "python", "main.py", "websocket", "RUNNING", null, null, null, null,
                null, null, null, at, null));
    }

    private static RunOutput output(String id, String user, String project, long at) {
        return new RunOutput(id, user, project, List.of(new RunOutput.Chunk("stdout", "out of " + id + "\n")), 10, false, at);
    }

    private long outputsOf(String user) {
        return database.jdbi().withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM run_outputs WHERE user_id = :user")
                .bind("user", user).mapTo(Long.class).one());
    }

    @ParameterizedTest
    @EnumSource(DatabaseUrl.Kind.class)
    void chunksComeBackInOrderWithTheirStreamsAndOnlyForTheirOwner(DatabaseUrl.Kind kind) {
        RunRepository runs = open(kind);
        RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), 50, 1_000);
        run(runs, "r1", "alice", "p1", 1_000);
        List<RunOutput.Chunk> chunks = List.of(new RunOutput.Chunk("compiler", "warning: x\n"),
                new RunOutput.Chunk("stdout", "Name? "), new RunOutput.Chunk("stderr", "Traceback \u00e9\u4e2d\ud83d\ude00\n"),
                new RunOutput.Chunk("stdout", "\u001b[31mred\u001b[0m\n"), new RunOutput.Chunk("install", "Collecting six\n"));
        outputs.save(new RunOutput("r1", "alice", "p1", chunks, 73, true, 2_000));

        RunOutput found = outputs.find("alice", "r1").orElseThrow();
        assertThat(found.chunks()).containsExactlyElementsOf(chunks);
        assertThat(found.truncated()).isTrue();
        assertThat(found.keptBytes()).isEqualTo(73);
        assertThat(found.projectId()).isEqualTo("p1");
        assertThat(found.createdAtMillis()).isEqualTo(2_000);
        assertThat(outputs.find("bob", "r1")).isEmpty();
        assertThat(outputs.find("alice", "unknown")).isEmpty();
        assertThat(runs.find("alice", "r1").orElseThrow().entryPath()).isEqualTo("main.py");
    }

    @ParameterizedTest
    @EnumSource(DatabaseUrl.Kind.class)
    void eachProjectAndEachUsersRunsWithoutAProjectKeepOnlyTheirNewestOutputs(DatabaseUrl.Kind kind) {
        RunRepository runs = open(kind);
        RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), 2, 1_000);
        for (int index = 1; index <= 4; index++) {
            run(runs, "p1-" + index, "alice", "p1", index * 1_000L);
            outputs.save(output("p1-" + index, "alice", "p1", index * 1_000L));
            run(runs, "none-" + index, "alice", null, index * 1_000L);
            outputs.save(output("none-" + index, "alice", null, index * 1_000L));
        }
        run(runs, "p2-1", "alice", "p2", 500);
        outputs.save(output("p2-1", "alice", "p2", 500));
        run(runs, "bob-1", "bob", null, 100);
        outputs.save(output("bob-1", "bob", null, 100));

        assertThat(outputs.find("alice", "p1-1")).isEmpty();
        assertThat(outputs.find("alice", "p1-2")).isEmpty();
        assertThat(outputs.find("alice", "p1-3")).isPresent();
        assertThat(outputs.find("alice", "p1-4").orElseThrow().chunks().get(0).data()).isEqualTo("out of p1-4\n");
        assertThat(outputs.find("alice", "none-2")).isEmpty();
        assertThat(outputs.find("alice", "none-3")).isPresent();
        assertThat(outputs.find("alice", "none-4")).isPresent();
        // Other projects and other users keep theirs; the runs themselves all stay in the history.
        assertThat(outputs.find("alice", "p2-1")).isPresent();
        assertThat(outputs.find("bob", "bob-1")).isPresent();
        assertThat(runs.listByProject("alice", "p1", 10)).extracting(RunRecord::id)
                .containsExactly("p1-4", "p1-3", "p1-2", "p1-1");
        assertThat(outputsOf("alice")).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(DatabaseUrl.Kind.class)
    void aUserKeepsOnlyTheirNewestOutputsAcrossAllTheirProjects(DatabaseUrl.Kind kind) {
        RunRepository runs = open(kind);
        RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), 50, 3);
        for (int index = 1; index <= 5; index++) {
            run(runs, "r" + index, "alice", "project-" + index, index * 1_000L);
            outputs.save(output("r" + index, "alice", "project-" + index, index * 1_000L));
        }
        run(runs, "b1", "bob", "project-b", 10);
        outputs.save(output("b1", "bob", "project-b", 10));

        assertThat(outputsOf("alice")).isEqualTo(3);
        assertThat(outputs.find("alice", "r2")).isEmpty();
        assertThat(outputs.find("alice", "r3")).isPresent();
        assertThat(outputs.find("alice", "r5")).isPresent();
        assertThat(outputs.find("bob", "b1")).isPresent();
    }

    @ParameterizedTest
    @EnumSource(DatabaseUrl.Kind.class)
    void deletingAUserDeletesTheirOutputs(DatabaseUrl.Kind kind) {
        RunRepository runs = open(kind);
        RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), 50, 1_000);
        run(runs, "b1", "bob", "p9", 1_000);
        outputs.save(output("b1", "bob", "p9", 1_000));
        assertThat(outputsOf("bob")).isEqualTo(1);

        database.jdbi().useHandle(handle -> handle.createUpdate("DELETE FROM users WHERE id = 'bob'").execute());

        assertThat(outputsOf("bob")).isZero();
    }
}
