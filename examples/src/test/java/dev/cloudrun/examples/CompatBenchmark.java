package dev.cloudrun.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What each compatible API costs over CloudRun's own: a Python hello world through
 * {@code POST /api/runs}, Jobe's {@code POST runs}, Piston's {@code POST /api/v2/execute} and Judge0's
 * {@code POST /submissions?wait=true} on
 * one in-process server, interleaved so the ratios hold on a noisy machine; p50 and p95 one run
 * after another, then sustained runs per second at a concurrency. A benchmark, not a test.
 *
 * <pre>
 * ./cloudrun bench compat [--backend local|docker] [--runs N (40)] [--concurrency C (4)]
 * </pre>
 */
public final class CompatBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "print('hello')";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private CompatBenchmark() { }

    /** One API's way of running the program. */
    private record Api(String name, String path, Map<String, String> headers, Object body, String expected) { }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --backend}, {@code --runs}, {@code --concurrency}
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            flags.put(args[i], args[i + 1]);
        }
        String backend = flags.getOrDefault("--backend", "local");
        int runs = Integer.parseInt(flags.getOrDefault("--runs", "40"));
        int concurrency = Integer.parseInt(flags.getOrDefault("--concurrency", "4"));
        Path dataDir = Files.createTempDirectory("cloudrun-compat-bench");
        Map<String, String> settings = new HashMap<>(Map.of("CLOUDRUN_PORT", "0", "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", backend, "CLOUDRUN_COMPAT", "jobe,piston,judge0", "CLOUDRUN_IP_REQUESTS_PER_MINUTE", "1000000",
                "CLOUDRUN_USER_RUNS_PER_MINUTE", "1000000", "CLOUDRUN_IP_RUNS_PER_MINUTE", "1000000",
                "CLOUDRUN_USER_CONCURRENT_RUNS", "64", "CLOUDRUN_IP_CONCURRENT_RUNS", "64"));
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(settings)).start()) {
            String base = "http://127.0.0.1:" + server.port();
            String session = post(base + "/api/auth/register", Map.of(), Map.of("username", "bench", "email", "bench@example.com",
                    "password", "a long benchmark password")).path("token").asText();
            String key = post(base + "/api/keys", Map.of("Authorization", "Bearer " + session),
                    Map.of("name", "bench", "scopes", List.of("run"))).path("key").asText();
            List<Api> apis = List.of(
                    new Api("native POST /api/runs", base + "/api/runs", Map.of("Authorization", "Bearer " + key),
                            Map.of("language", "python", "source", SOURCE), "stdout"),
                    new Api("Jobe POST runs", base + "/jobe/index.php/restapi/runs", Map.of("X-API-KEY", key),
                            Map.of("run_spec", Map.of("language_id", "python3", "sourcecode", SOURCE)), "stdout"),
                    new Api("Piston POST /api/v2/execute", base + "/api/v2/execute", Map.of("Authorization", "Bearer " + key),
                            Map.of("language", "python", "version", "*", "files", List.of(Map.of("content", SOURCE))), "run"),
                    new Api("Judge0 POST /submissions?wait", base + "/judge0/submissions?wait=true", Map.of("X-Auth-Token", key),
                            Map.of("language_id", 71, "source_code", SOURCE), "stdout"));
            for (Api api : apis) {
                once(api); // warm up: JIT, images, caches
            }
            Map<Api, List<Long>> times = new HashMap<>();
            for (int i = 0; i < runs; i++) {
                for (Api api : apis) {
                    times.computeIfAbsent(api, a -> new ArrayList<>()).add(once(api));
                }
            }
            System.out.printf(Locale.ROOT, "%d processors, backend %s, python hello world, %d runs each, interleaved%n",
                    Runtime.getRuntime().availableProcessors(), backend, runs);
            System.out.printf(Locale.ROOT, "%-30s %8s %8s %10s %14s%n", "API", "p50 ms", "p95 ms", "vs native",
                    "runs/s at " + concurrency);
            double nativeP50 = percentile(times.get(apis.get(0)), 50);
            for (Api api : apis) {
                double p50 = percentile(times.get(api), 50);
                System.out.printf(Locale.ROOT, "%-30s %8.1f %8.1f %9.2fx %14.1f%n", api.name(), p50,
                        percentile(times.get(api), 95), p50 / nativeP50, sustained(api, runs, concurrency));
            }
        }
    }

    private static long once(Api api) throws Exception {
        long start = System.nanoTime();
        JsonNode answer = post(api.path(), api.headers(), api.body());
        long micros = (System.nanoTime() - start) / 1000;
        String text = answer.toString();
        if (!answer.has(api.expected()) || !text.contains("hello")) {
            throw new IllegalStateException(api.name() + " answered " + text);
        }
        return micros;
    }

    private static double sustained(Api api, int runs, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        try {
            long start = System.nanoTime();
            List<Future<Long>> done = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                done.add(pool.submit(() -> once(api)));
            }
            for (Future<Long> run : done) {
                run.get();
            }
            return runs / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double percentile(List<Long> micros, int percent) {
        List<Long> sorted = micros.stream().sorted().toList();
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1)) / 1000.0;
    }

    private static JsonNode post(String url, Map<String, String> headers, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        headers.forEach(request::header);
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }
}
