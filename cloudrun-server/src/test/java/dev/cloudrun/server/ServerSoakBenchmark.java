package dev.cloudrun.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * The server's soak through its real HTTP and WebSocket API (a benchmark, not a test): a server in
 * this JVM on SQLite and the local sandbox, driven by concurrent clients that open a socket per run
 * (interactive stdin, stopped runs), run through {@code POST /api/runs} (OK, runtime errors, time
 * limits) and create, save, read and delete projects. Then threads, fds, sandbox processes and the
 * heap after GC against the baseline, as a table; exits 1 if anything leaked or failed.
 *
 * <pre>
 * scripts/soak.sh server [ITERATIONS=400] [CONCURRENCY=8]
 * </pre>
 */
public final class ServerSoakBenchmark {
    private static final Duration RUN = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofSeconds(90);
    private static final long HEAP_SLACK_BYTES = 32L << 20;

    private ServerSoakBenchmark() { }

    /**
     * Runs the soak.
     *
     * @param args iterations (400), concurrency (8)
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Path dataDir = Files.createTempDirectory("cloudrun-server-soak-");
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", "local");
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "1000000");
        settings.put("CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_USER_CONCURRENT_RUNS", "100");
        settings.put("CLOUDRUN_MAX_CONCURRENT_RUNS", Integer.toString(concurrency));
        int status;
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(settings)).start()) {
            status = soak(server, iterations, concurrency);
        } finally {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
        System.exit(status);
    }

    private static int soak(CloudRunServer server, int iterations, int concurrency) throws Exception {
        ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
        String wsUrl = "ws://127.0.0.1:" + server.port() + "/ws/run";
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < concurrency; i++) {
            tokens.add(api.post("/api/auth/register", null, Map.of("username", "soak" + i, "email", "soak" + i + "@example.com",
                    "password", "server soak password")).json().path("token").asText());
        }
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        System.out.printf(Locale.ROOT, "server soak: %d iterations, concurrency %d, port %d%n", iterations, concurrency,
                server.port());
        for (int kind = 0; kind < 6; kind++) {
            iteration(api, wsUrl, tokens.get(0), kind, outcomes, failures);
        }
        outcomes.clear();
        failures.clear();
        Map<String, Long> before = settled(null);

        long started = System.nanoTime();
        ExecutorService clients = Executors.newFixedThreadPool(concurrency);
        List<Future<?>> futures = new ArrayList<>();
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < iterations; i++) {
            int kind = i % 6;
            String token = tokens.get(i % concurrency);
            futures.add(clients.submit(() -> {
                try {
                    iteration(api, wsUrl, token, kind, outcomes, failures);
                } catch (RuntimeException | AssertionError e) {
                    failures.add("kind " + kind + ": " + e);
                }
                if (done.incrementAndGet() % 100 == 0) {
                    System.out.printf(Locale.ROOT, "  %d/%d, %.0f s%n", done.get(), iterations, (System.nanoTime() - started) / 1e9);
                }
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        clients.shutdown();
        double seconds = (System.nanoTime() - started) / 1e9;
        Map<String, Long> after = settled(before);

        System.out.printf(Locale.ROOT, "%n%d iterations in %.1f s%n", iterations, seconds);
        outcomes.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-44s %6d%n", e.getKey(), e.getValue().sum()));
        System.out.printf(Locale.ROOT, "%n%-30s %14s %14s%n", "server", "before", "after");
        List<String> leaks = new ArrayList<>();
        for (String key : before.keySet()) {
            boolean leaked = key.startsWith("heap") ? after.get(key) > before.get(key) + HEAP_SLACK_BYTES
                    : after.get(key) > before.get(key);
            if (leaked) {
                leaks.add(key);
            }
            System.out.printf(Locale.ROOT, "%-30s %14s %14s  %s%n", key, show(key, before.get(key)), show(key, after.get(key)),
                    leaked ? "LEAK" : "ok");
        }
        failures.stream().limit(20).forEach(failure -> System.out.println("failed: " + failure));
        if (!leaks.isEmpty() || !failures.isEmpty()) {
            System.out.println("FAILED: leaked " + leaks + ", " + failures.size() + " failure(s)");
            return 1;
        }
        System.out.println("nothing leaked");
        return 0;
    }

    private static void iteration(ApiClient api, String wsUrl, String token, int kind, Map<String, LongAdder> outcomes,
                                  List<String> failures) {
        String outcome;
        switch (kind) {
            case 0 -> {
                try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
                    socket.send(Map.of("type", "start", "language", "python",
                            "source", "name = input('Name? ')\nprint('Hello, ' + name + '!')\n"));
                    socket.awaitStdout("Name? ", RUN);
                    socket.send(Map.of("type", "stdin", "data", "Ada\n"));
                    socket.send(Map.of("type", "stdin_close"));
                    outcome = "ws interactive -> " + last(socket.untilType("finished", RUN)).path("status").asText();
                }
            }
            case 1 -> {
                try (WsSession socket = WsSession.open(wsUrl + "?token=" + token)) {
                    socket.send(Map.of("type", "start", "language", "bash", "source", "echo up; sleep 60"));
                    socket.awaitStdout("up", RUN);
                    socket.send(Map.of("type", "stop"));
                    outcome = "ws stopped -> " + last(socket.untilType("finished", RUN)).path("status").asText();
                }
            }
            case 2 -> outcome = "api ok -> " + api.post("/api/runs", token, Map.of("language", "python",
                    "source", "print(sum(range(1000)))")).json().path("status").asText();
            case 3 -> outcome = "api runtime error -> " + api.post("/api/runs", token, Map.of("language", "javascript",
                    "source", "throw new Error('soak')")).json().path("status").asText();
            case 4 -> outcome = "api time limit -> " + api.post("/api/runs", token, Map.of("language", "bash",
                    "source", "sleep 30", "limits", Map.of("wallTimeMs", 1000))).json().path("status").asText();
            default -> {
                String name = "p" + java.util.UUID.randomUUID().toString().substring(0, 8);
                JsonNode project = api.post("/api/projects", token, Map.of("name", name, "language", "python",
                        "files", Map.of("main.py", "print('soak')"), "entry", "main.py")).json();
                String id = project.path("id").asText();
                int saved = api.put("/api/projects/" + id + "/files/data.txt", token,
                        ("x".repeat(4096)).getBytes(StandardCharsets.UTF_8)).status();
                String read = api.get("/api/projects/" + id + "/files/data.txt", token).text();
                int deleted = api.delete("/api/projects/" + id, token).status();
                outcome = "projects create/save/read/delete -> " + (saved == 200 && read.length() == 4096 && deleted < 300
                        ? "OK" : "saved " + saved + " read " + read.length() + " deleted " + deleted);
            }
        }
        outcomes.computeIfAbsent(outcome, key -> new LongAdder()).increment();
        String expected = switch (kind) {
            case 0, 2, 5 -> "OK";
            case 1 -> "CANCELLED";
            case 3 -> "RUNTIME_ERROR";
            default -> "TIME_LIMIT";
        };
        if (!outcome.endsWith("-> " + expected)) {
            failures.add(outcome + " (expected " + expected + ")");
        }
    }

    private static JsonNode last(List<JsonNode> messages) {
        return messages.get(messages.size() - 1);
    }

    private static Map<String, Long> settled(Map<String, Long> baseline) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Map<String, Long> counts = counts();
        while (baseline != null && System.nanoTime() < deadline && !within(counts, baseline)) {
            Thread.sleep(500); // idle pool threads expire after 60 s; closed sockets release their threads meanwhile
            counts = counts();
        }
        return counts;
    }

    private static boolean within(Map<String, Long> counts, Map<String, Long> baseline) {
        return counts.entrySet().stream().allMatch(e -> e.getKey().startsWith("heap")
                ? e.getValue() <= baseline.get(e.getKey()) + HEAP_SLACK_BYTES : e.getValue() <= baseline.get(e.getKey()));
    }

    private static Map<String, Long> counts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("sandbox processes", ProcessHandle.current().descendants().count());
        counts.put("JVM threads", (long) ManagementFactory.getThreadMXBean().getThreadCount());
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            counts.put("open fds (/proc/self/fd)", fds.count());
        } catch (java.io.IOException e) {
            counts.put("open fds (/proc/self/fd)", -1L);
        }
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        counts.put("heap after GC (bytes)", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        return counts;
    }

    private static String show(String key, long value) {
        return key.startsWith("heap") ? String.format(Locale.ROOT, "%.1f MiB", value / 1048576.0) : Long.toString(value);
    }
}
