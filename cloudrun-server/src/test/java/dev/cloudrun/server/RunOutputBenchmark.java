package dev.cloudrun.server;

import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.DatabaseUrl;
import dev.cloudrun.server.db.RunOutput;
import dev.cloudrun.server.db.RunOutputRepository;
import dev.cloudrun.server.db.RunRecord;
import dev.cloudrun.server.db.RunRepository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What keeping run output costs (a benchmark, not a test): on a real SQLite file and on the test
 * PostgreSQL, one user's runs in 10 projects each store a full output (the default cap, 64 KiB in 40
 * chunks) with the default pruning (50 per project, 200 per user); prints the time of one save
 * (insert and prunes) and of one read, and how many rows and bytes the table holds at the end.
 *
 * <pre>
 * java -cp ... dev.cloudrun.server.RunOutputBenchmark [SAVES=1000]
 * </pre>
 */
public final class RunOutputBenchmark {
    private static final int PROJECTS = 10;
    private static final int CHUNKS = 40;

    private RunOutputBenchmark() { }

    /**
     * Runs the benchmark on both databases.
     *
     * @param args how many saves (1000)
     * @throws Exception if a database cannot be opened
     */
    public static void main(String[] args) throws Exception {
        int saves = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        System.out.printf(Locale.ROOT, "%-10s %6s %12s %12s %12s %12s %8s %10s%n", "database", "saves", "save p50 ms",
                "save p95 ms", "read p50 ms", "read p95 ms", "rows", "MiB kept");
        Path directory = Files.createTempDirectory("cloudrun-output-bench-");
        try (Database sqlite = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("bench.db")))) {
            measure("sqlite", sqlite, saves);
        }
        PostgresSchema schema = PostgresSchema.create("output_bench");
        try (Database postgres = Database.open(DatabaseUrl.parse(schema.url()))) {
            measure("postgresql", postgres, saves);
        } finally {
            schema.drop();
        }
    }

    private static void measure(String name, Database database, int saves) {
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                + " created_at) VALUES ('bench', 'bench', 'bench', 0, 0)").execute());
        RunRepository runs = new RunRepository(database.jdbi(), database.kind(), "bench");
        RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), 50, 200);
        List<RunOutput.Chunk> chunks = new ArrayList<>();
        for (int index = 0; index < CHUNKS; index++) {
            chunks.add(new RunOutput.Chunk(index % 2 == 0 ? "stdout" : "stderr", "x".repeat(64 * 1024 / CHUNKS - 1) + "\n"));
        }
        long keptBytes = chunks.stream().mapToLong(chunk -> chunk.data().length()).sum();
        long[] saveNanos = new long[saves];
        long[] readNanos = new long[saves];
        for (int index = 0; index < saves; index++) {
            String id = "run-" + index;
            String project = "project-" + index % PROJECTS;
            runs.insertStarted(new RunRecord(id, "bench", project, "python", "main.py", "websocket", "RUNNING", null, null,
                    null, null, null, null, null, index, null));
            long start = System.nanoTime();
            outputs.save(new RunOutput(id, "bench", project, chunks, keptBytes, false, index));
            saveNanos[index] = System.nanoTime() - start;
            start = System.nanoTime();
            outputs.find("bench", id).orElseThrow();
            readNanos[index] = System.nanoTime() - start;
        }
        long rows = database.jdbi().withHandle(handle -> handle.createQuery("SELECT COUNT(*) FROM run_outputs").mapTo(Long.class).one());
        long bytes = database.jdbi().withHandle(handle -> handle.createQuery("SELECT COALESCE(SUM(kept_bytes), 0) FROM run_outputs")
                .mapTo(Long.class).one());
        System.out.printf(Locale.ROOT, "%-10s %6d %12.2f %12.2f %12.2f %12.2f %8d %10.1f%n", name, saves,
                percentile(saveNanos, 50), percentile(saveNanos, 95), percentile(readNanos, 50), percentile(readNanos, 95),
                rows, bytes / 1024.0 / 1024.0);
    }

    private static double percentile(long[] nanos, int percent) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, sorted.length * percent / 100)] / 1e6;
    }
}
