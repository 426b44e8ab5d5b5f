package dev.cloudrun.server.grading;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.PostgresSchema;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.DatabaseUrl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The durable queue on real SQLite and PostgreSQL: fair order between keys, leases that pass to
 * another node when they run out, results that only the lease's holder can record, and (on
 * PostgreSQL, several connections at once) no submission claimed twice.
 */
class SubmissionQueueTest {
    @TempDir
    Path directory;
    private Database database;
    private PostgresSchema schema;

    private SubmissionRepository open(String kind) {
        if (kind.equals("sqlite")) {
            database = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("queue.db")));
        } else {
            schema = PostgresSchema.create("queue");
            database = Database.open(DatabaseUrl.parse(schema.url()));
        }
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                + " created_at) VALUES ('u', 'u', 'u', 0, 0)").execute());
        return new SubmissionRepository(database.jdbi(), database.kind());
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

    private static List<String> submit(SubmissionRepository queue, String key, int count, long now) {
        List<SubmissionRepository.NewSubmission> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(new SubmissionRepository.NewSubmission(UUID.randomUUID().toString(), null, "{}".getBytes(StandardCharsets.UTF_8),
                    "python", "print(1)".getBytes(StandardCharsets.UTF_8), null, null));
        }
        SubmissionRepository.Inserted inserted = queue.insert("u", key, batch, now, 100_000, 100_000);
        assertThat(inserted.refusal()).isNull();
        return batch.stream().map(SubmissionRepository.NewSubmission::id).toList();
    }

    private static String claimKey(SubmissionRepository queue, long now) {
        return queue.claim("node", now, now + 60_000).orElseThrow().submission().keyId();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void a_key_that_submits_after_another_keys_big_batch_is_served_in_turn_not_after_it(String kind) {
        SubmissionRepository queue = open(kind);
        submit(queue, "big", 500, 1);
        assertThat(claimKey(queue, 2)).isEqualTo("big");
        assertThat(claimKey(queue, 3)).isEqualTo("big");
        submit(queue, "small", 10, 4);

        List<String> next = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            next.add(claimKey(queue, 5 + i));
        }
        // Start-time fair queuing: the two keys alternate while both wait.
        assertThat(next).filteredOn("small"::equals).hasSize(10);
        assertThat(next.subList(0, 4)).contains("small");
        assertThat(claimKey(queue, 30)).isEqualTo("big");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void a_lease_that_runs_out_passes_to_another_node_and_only_the_holder_records_the_result(String kind) {
        SubmissionRepository queue = open(kind);
        String id = submit(queue, "k", 1, 1).get(0);
        SubmissionRepository.Claim first = queue.claim("node-a", 10, 1_010).orElseThrow();
        assertThat(first.attempt()).isEqualTo(1);
        assertThat(queue.claim("node-b", 20, 1_020)).as("nothing else waits").isEmpty();
        assertThat(queue.renew(id, "node-a", 1, 1_500)).isTrue();
        assertThat(queue.requeueExpired(1_400)).isZero();
        assertThat(queue.requeueExpired(1_600)).isEqualTo(1);

        SubmissionRepository.Claim second = queue.claim("node-b", 1_700, 2_700).orElseThrow();
        assertThat(second.submission().id()).isEqualTo(id);
        assertThat(second.attempt()).isEqualTo(2);
        SubmissionRepository.Result done = new SubmissionRepository.Result(Submission.DONE, "ACCEPTED", 1.0, 1.0,
                "{}".getBytes(StandardCharsets.UTF_8), null);
        assertThat(queue.renew(id, "node-a", 1, 5_000)).as("the old holder lost its lease").isFalse();
        assertThat(queue.complete(id, "node-a", 1, done, 1_800)).as("a stale lease cannot record").isFalse();
        assertThat(queue.complete(id, "node-b", 2, done, 1_900)).isTrue();
        assertThat(queue.complete(id, "node-b", 2, done, 2_000)).as("done once").isFalse();
        Submission finished = queue.findAny(id).orElseThrow();
        assertThat(finished.status()).isEqualTo(Submission.DONE);
        assertThat(finished.leaseOwner()).isEqualTo("node-b");
        assertThat(finished.finishedAtMillis()).isEqualTo(1_900L);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void claims_from_many_threads_at_once_take_each_submission_exactly_once(String kind) throws Exception {
        SubmissionRepository queue = open(kind);
        List<String> ids = submit(queue, "k", 200, 1);
        Set<String> claimed = ConcurrentHashMap.newKeySet();
        List<String> twice = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String node = "node-" + t;
                workers.add(threads.submit(() -> {
                    for (Optional<SubmissionRepository.Claim> claim = queue.claim(node, 10, 60_000); claim.isPresent();
                            claim = queue.claim(node, 10, 60_000)) {
                        if (!claimed.add(claim.get().submission().id())) {
                            twice.add(claim.get().submission().id());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                worker.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(twice).isEmpty();
        assertThat(claimed).containsExactlyInAnyOrderElementsOf(ids);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    void a_key_over_its_limits_is_refused_and_nothing_of_the_batch_is_stored(String kind) {
        SubmissionRepository queue = open(kind);
        List<SubmissionRepository.NewSubmission> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(new SubmissionRepository.NewSubmission(UUID.randomUUID().toString(), null, null, "python",
                    new byte[1], null, null));
        }
        assertThat(queue.insert("u", "k", three, 1_000, 2, 100).refusal()).isEqualTo(SubmissionRepository.Refusal.QUEUE_FULL);
        assertThat(queue.insert("u", "k", three.subList(0, 2), 1_000, 10, 2).refusal()).isNull();
        SubmissionRepository.Inserted rate = queue.insert("u", "k", three.subList(2, 3), 2_000, 10, 2);
        assertThat(rate.refusal()).isEqualTo(SubmissionRepository.Refusal.RATE);
        assertThat(rate.oldestInWindowMillis()).isEqualTo(1_000L);
        assertThat(queue.list("u", null, null, 10, null)).hasSize(2);
        assertThat(queue.insert("u", "k", three.subList(2, 3), 61_001, 10, 2).refusal()).as("a minute later").isNull();
    }
}
