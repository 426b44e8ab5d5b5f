package dev.cloudrun.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.examples.lms.ServerLms;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * What the grading API buys over running each case on its own: sends N submissions (mixed C,
 * Python and Java, one in five wrong) against a 10-case problem through
 * {@code POST /api/submissions/batch} with callbacks to a local receiver ({@link ServerLms}), and
 * prints cases per second and the time from submit to callback; then does the same work the naive
 * way, one whole {@link CodeRunner} run (compile and run) per case with the same number of slots,
 * and prints its cases per second and the ratio. A benchmark, not a test: figures depend on the
 * machine and its load. It lives with the tests because it starts a server in-process.
 *
 * <pre>
 * ./cloudrun bench grading [--backend local|docker] [--submissions N (200)] [--slots N (CPUs, at least 2)]
 *                          [--url http://server:8080]   (an already running server instead of one in-process)
 * </pre>
 */
public final class GradingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CASES = 10;
    private static final List<String> LANGUAGES = List.of("c", "python", "java");

    private record Case(String input, String output) { }

    private record Program(String language, String source, boolean correct) { }

    private GradingBenchmark() { }

    /**
     * Runs the benchmark.
     *
     * @param args {@code --backend}, {@code --submissions}, {@code --slots}, {@code --url}
     * @throws Exception if the server cannot be started or reached
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> flags = flags(args);
        String backend = flags.getOrDefault("--backend", "local");
        int submissions = Integer.parseInt(flags.getOrDefault("--submissions", "200"));
        int slots = Integer.parseInt(flags.getOrDefault("--slots",
                Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors()))));
        List<Case> cases = cases();
        List<Program> programs = programs(submissions);
        System.out.printf(Locale.ROOT, "%d processors; %d submissions (c, python, java; %d wrong) x %d cases;"
                + " backend %s, %d run slots%n", Runtime.getRuntime().availableProcessors(), submissions,
                programs.stream().filter(program -> !program.correct()).count(), CASES, backend, slots);

        double apiCasesPerSecond;
        Path dataDir = Files.createTempDirectory("cloudrun-grading-bench");
        CloudRunServer server = null;
        try {
            URI url;
            if (flags.containsKey("--url")) {
                url = URI.create(flags.get("--url"));
            } else {
                server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                        "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", backend,
                        "CLOUDRUN_CALLBACK_ALLOW_PRIVATE", "true", "CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000",
                        "CLOUDRUN_MAX_CONCURRENT_RUNS", Integer.toString(slots)))).start();
                url = URI.create("http://127.0.0.1:" + server.port());
            }
            apiCasesPerSecond = throughTheApi(url, cases, programs);
        } finally {
            if (server != null) {
                server.close();
            }
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }

        double naiveCasesPerSecond = naive(BackendKind.valueOf(backend.toUpperCase(Locale.ROOT)), slots, cases, programs);
        System.out.printf(Locale.ROOT, "grading API / naive: %.1fx the cases per second%n",
                apiCasesPerSecond / naiveCasesPerSecond);
    }

    private static double throughTheApi(URI url, List<Case> cases, List<Program> programs) throws Exception {
        JsonNode key = signUp(url);
        try (ServerLms lms = new ServerLms(url, key.path("key").asText(), key.path("signingSecret").asText(), grade -> { })) {
            List<Map<String, Object>> problemCases = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                problemCases.add(Map.of("name", "case" + (i + 1), "input", cases.get(i).input(), "output", cases.get(i).output()));
            }
            String problem = lms.createProblem(Map.of("name", "sum", "timeLimit", "2s", "cases", problemCases));

            long started = System.nanoTime();
            List<String> ids = new ArrayList<>();
            Map<String, Long> submittedAt = new HashMap<>();
            for (int from = 0; from < programs.size(); from += 200) {
                List<ServerLms.Solution> batch = new ArrayList<>();
                for (int i = from; i < Math.min(programs.size(), from + 200); i++) {
                    batch.add(new ServerLms.Solution("student" + i, programs.get(i).language(), programs.get(i).source()));
                }
                long sentAt = System.currentTimeMillis();
                for (String id : lms.submit(problem, batch)) {
                    ids.add(id);
                    submittedAt.put(id, sentAt);
                }
            }
            Map<String, ServerLms.Grade> grades = lms.awaitGrades(ids, Duration.ofHours(1));
            double seconds = (System.nanoTime() - started) / 1e9;

            List<Long> latencies = new ArrayList<>();
            int unexpected = 0;
            for (int i = 0; i < ids.size(); i++) {
                ServerLms.Grade grade = grades.get(ids.get(i));
                latencies.add(grade.arrivedAt().toEpochMilli() - submittedAt.get(ids.get(i)));
                if (!grade.verdict().equals(programs.get(i).correct() ? "ACCEPTED" : "WRONG_ANSWER")) {
                    unexpected++;
                }
            }
            latencies.sort(null);
            long rejected = lms.deliveries().stream().filter(delivery -> !delivery.verified()).count();
            double casesPerSecond = programs.size() * CASES / seconds;
            System.out.printf(Locale.ROOT, "grading API: %d cases in %.1f s, %.1f cases/s; submit to callback p50 %.1f s,"
                    + " p95 %.1f s; %d unexpected verdicts, %d callbacks failed verification%n",
                    programs.size() * CASES, seconds, casesPerSecond, percentile(latencies, 50) / 1e3,
                    percentile(latencies, 95) / 1e3, unexpected, rejected);
            return casesPerSecond;
        }
    }

    /** Every case as its own run: compiled each time, on a runner with the same number of slots. */
    private static double naive(BackendKind backend, int slots, List<Case> cases, List<Program> programs) {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(slots))) {
            long started = System.nanoTime();
            List<CompletableFuture<Boolean>> runs = new ArrayList<>();
            for (Program program : programs) {
                for (Case testCase : cases) {
                    runs.add(runner.runAsync(RunRequest.of(program.language(), program.source()).withStdin(testCase.input()))
                            .thenApply(result -> passed(result, testCase) == program.correct()));
                }
            }
            long unexpected = runs.stream().map(CompletableFuture::join).filter(expected -> !expected).count();
            double seconds = (System.nanoTime() - started) / 1e9;
            double casesPerSecond = runs.size() / seconds;
            System.out.printf(Locale.ROOT, "naive, one run per case: %d cases in %.1f s, %.1f cases/s; %d unexpected results%n",
                    runs.size(), seconds, casesPerSecond, unexpected);
            return casesPerSecond;
        }
    }

    private static boolean passed(RunResult result, Case testCase) {
        return result.isOk() && result.stdout().strip().equals(testCase.output().strip());
    }

    /** Ten sums of two numbers up to a billion, the same every run. */
    private static List<Case> cases() {
        Random random = new Random(42);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            long a = random.nextInt(2_000_000_001) - 1_000_000_000L;
            long b = random.nextInt(2_000_000_001) - 1_000_000_000L;
            cases.add(new Case(a + " " + b + "\n", (a + b) + "\n"));
        }
        return cases;
    }

    /** Languages in turn, every fifth one subtracting; each source differs, as students' do. */
    private static List<Program> programs(int count) {
        List<Program> programs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String language = LANGUAGES.get(i % LANGUAGES.size());
            boolean correct = i % 5 != 4;
            String operator = correct ? "+" : "-";
            String source = switch (language) {
                case "c" -> "/* student " + i + " */\n#include <stdio.h>\nint main(void) { long long a, b;"
                        + " scanf(\"%lld %lld\", &a, &b); printf(\"%lld\\n\", a " + operator + " b); return 0; }\n";
                case "python" -> "# student " + i + "\na, b = map(int, input().split())\nprint(a " + operator + " b)\n";
                default -> "// student " + i + "\nimport java.util.Scanner;\npublic class Main {\n"
                        + "    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n"
                        + "        long a = in.nextLong(), b = in.nextLong();\n        System.out.println(a " + operator + " b);\n"
                        + "    }\n}\n";
            };
            programs.add(new Program(language, source, correct));
        }
        return programs;
    }

    private static long percentile(List<Long> sorted, int percent) {
        return sorted.get(Math.max(0, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }

    /** A fresh user and an API key with the grade scope. */
    private static JsonNode signUp(URI url) throws Exception {
        String name = "bench" + System.nanoTime();
        String token = JSON.readTree(post(url, "/api/auth/register", null, Map.of("username", name,
                "email", name + "@example.com", "password", "a long benchmark password"))).path("token").asText();
        return JSON.readTree(post(url, "/api/keys", token, Map.of("name", "grading-bench", "scopes", List.of("grade"))));
    }

    private static String post(URI url, String path, String token, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("POST " + path + ": " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    private static Map<String, String> flags(String[] args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!List.of("--backend", "--submissions", "--slots", "--url").contains(args[i])) {
                throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; usage: [--backend local|docker] [--submissions N] [--slots N] [--url URL]");
            }
            flags.put(args[i], args[i + 1]);
        }
        return flags;
    }
}
