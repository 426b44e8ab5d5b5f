package dev.cloudrun.cli;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A benchmark, not a test (it asserts nothing): {@code run_code} latency over stdio
 * ({@code cloudrun mcp} as a child process, the MCP Java SDK's client) and over streamable HTTP (the
 * IDE server's {@code /mcp} in this JVM, with an API key, the SDK's HTTP client transport) against
 * the same run through the SDK in this JVM, and the memory an idle session costs, as sessions per GiB.
 *
 * <pre>./cloudrun bench mcp [--backend local|docker] [--runs N] [--sessions K]</pre>
 */
public final class McpBenchmark {
    private static final String PROGRAM = "print('hello')";

    private McpBenchmark() { }

    /**
     * @param args {@code --backend local|docker} (local), {@code --runs N} (20), {@code --sessions K} (8)
     * @throws Exception if the benchmark cannot run
     */
    public static void main(String[] args) throws Exception {
        String backend = "local";
        int runs = 20;
        int sessions = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        BackendKind kind = backend.equals("docker") ? BackendKind.DOCKER : BackendKind.LOCAL;
        long[] direct = new long[runs];
        long[] withOutputFiles = new long[runs];
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(kind))) {
            for (int i = 0; i < 3; i++) {
                runner.run(RunRequest.of("python", PROGRAM));
            }
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                RunResult result = runner.run(RunRequest.of("python", PROGRAM));
                direct[i] = System.nanoTime() - start;
                check(result.stdout().equals("hello\n"), "the SDK run printed " + result.stdout());
                start = System.nanoTime();
                runner.run(RunRequest.of("python", PROGRAM).withOutputFiles("out", 4L << 20));
                withOutputFiles[i] = System.nanoTime() - start;
            }
        }
        long[] overStdio = new long[runs];
        try (McpTestServer server = new McpTestServer(backend, "--max-sessions", String.valueOf(sessions))) {
            for (int i = 0; i < 3; i++) {
                server.call("run_code", Map.of("language", "python", "source", PROGRAM));
            }
            for (int i = 0; i < runs; i++) {
                long start = System.nanoTime();
                Map<String, Object> answer = McpTestServer.structured(server.call("run_code",
                        Map.of("language", "python", "source", PROGRAM)));
                overStdio[i] = System.nanoTime() - start;
                check("hello\n".equals(answer.get("stdout")), "run_code printed " + answer.get("stdout"));
            }
            System.out.printf(Locale.ROOT, "backend %s, python hello, %d runs each (after 3 warm-up runs)%n", backend, runs);
            System.out.printf(Locale.ROOT, "  SDK in-process:        median %6.1f ms  p90 %6.1f ms%n", median(direct), p90(direct));
            System.out.printf(Locale.ROOT, "  SDK, collecting out/:  median %6.1f ms  p90 %6.1f ms  (what a program that names out/ pays)%n",
                    median(withOutputFiles), p90(withOutputFiles));
            System.out.printf(Locale.ROOT, "  run_code over stdio:   median %6.1f ms  p90 %6.1f ms%n", median(overStdio),
                    p90(overStdio));
            System.out.printf(Locale.ROOT, "  MCP layer adds:        median %6.1f ms over the same SDK run%n",
                    median(overStdio) - median(direct));
            sessionsPerGiB(server, sessions, backend);
        }
        long[] overHttp = overHttp(backend, runs);
        System.out.printf(Locale.ROOT, "  run_code over HTTP:    median %6.1f ms  p90 %6.1f ms  (/mcp of a server in this JVM)%n",
                median(overHttp), p90(overHttp));
        System.out.printf(Locale.ROOT, "  MCP over HTTP adds:    median %6.1f ms over the same SDK run%n",
                median(overHttp) - median(direct));
    }

    /** Times run_code through a real server's /mcp, with an API key of scope run. */
    private static long[] overHttp(String backend, int runs) throws Exception {
        Path dataDir = Files.createTempDirectory("cloudrun-mcp-bench");
        Map<String, String> settings = new java.util.HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend);
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "100000");
        dev.cloudrun.server.CloudRunServer server = dev.cloudrun.server.CloudRunServer.create(
                dev.cloudrun.server.config.ServerConfig.of(settings)).start();
        String base = "http://127.0.0.1:" + server.port();
        try {
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String name = "bench" + Long.toHexString(System.nanoTime());
            String token = json.readTree(post(http, json, base + "/api/auth/register", null, Map.of("username", name,
                    "email", name + "@example.com", "password", "correct horse battery"))).path("token").asText();
            String key = json.readTree(post(http, json, base + "/api/keys", token, Map.of("name", "bench",
                    "scopes", List.of("run")))).path("key").asText();
            io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport transport =
                    io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp")
                            .jsonMapper(new io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper(json))
                            .httpRequestCustomizer((builder, method, uri, body, context) ->
                                    builder.header("Authorization", "Bearer " + key))
                            .build();
            io.modelcontextprotocol.client.McpSyncClient client = io.modelcontextprotocol.client.McpClient.sync(transport)
                    .requestTimeout(java.time.Duration.ofSeconds(60)).build();
            try {
                client.initialize();
                long[] times = new long[runs];
                for (int i = -3; i < runs; i++) {
                    long start = System.nanoTime();
                    Map<String, Object> answer = McpTestServer.structured(client.callTool(
                            io.modelcontextprotocol.spec.McpSchema.CallToolRequest.builder().name("run_code")
                                    .arguments(Map.of("language", "python", "source", PROGRAM)).build()));
                    if (i >= 0) {
                        times[i] = System.nanoTime() - start;
                    }
                    check("hello\n".equals(answer.get("stdout")), "run_code over HTTP printed " + answer);
                }
                return times;
            } finally {
                client.closeGracefully();
            }
        } finally {
            server.stop();
        }
    }

    private static String post(java.net.http.HttpClient http, com.fasterxml.jackson.databind.ObjectMapper json, String url,
                               String token, Map<String, Object> body) throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        java.net.http.HttpResponse<String> response = http.send(request.build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        check(response.statusCode() / 100 == 2, url + " answered " + response.statusCode() + ": " + response.body());
        return response.body();
    }

    private static void sessionsPerGiB(McpTestServer server, int count, String backend)
            throws IOException, InterruptedException {
        long serverPid = ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("java"))
                .mapToLong(ProcessHandle::pid).max().orElse(-1);
        Thread.sleep(1000);
        long jvmBefore = rss(serverPid);
        java.util.Set<String> containersBefore = backend.equals("docker") ? containersOf(serverPid) : java.util.Set.of();
        long sandboxesBefore = backend.equals("docker") ? 0 : descendantsRss(serverPid);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, Object> answer = McpTestServer.structured(server.call("create_session", Map.of("language", "python")));
            ids.add((String) answer.get("session_id"));
            // Each session is used once, then left idle, as an agent between two steps leaves it.
            server.call("run_in_session", Map.of("session_id", ids.get(i), "source", "x = 1"));
        }
        Thread.sleep(2000);
        long sandboxes;
        if (backend.equals("docker")) {
            java.util.Set<String> mine = new java.util.HashSet<>(containersOf(serverPid));
            mine.removeAll(containersBefore);
            sandboxes = containerMemory(mine);
        } else {
            sandboxes = descendantsRss(serverPid) - sandboxesBefore;
        }
        long jvm = rss(serverPid) - jvmBefore;
        for (String id : ids) {
            server.call("close_session", Map.of("session_id", id));
        }
        double perSession = Math.max(1, sandboxes + Math.max(0, jvm)) / (double) count;
        System.out.printf(Locale.ROOT, "  %d idle sessions: %.2f MiB each (%s: %.2f MiB, server JVM: %.2f MiB)%n", count,
                perSession / 1048576.0, backend.equals("docker") ? "containers' memory (docker stats)"
                        : "sandbox processes' RSS", sandboxes / (double) count / 1048576.0, jvm / (double) count / 1048576.0);
        System.out.printf(Locale.ROOT, "  sessions per GiB: %.0f%n", (1L << 30) / perSession);
    }

    private static long descendantsRss(long pid) throws IOException {
        long total = 0;
        for (ProcessHandle child : ProcessHandle.of(pid).map(p -> p.descendants().toList()).orElse(List.of())) {
            try {
                total += rss(child.pid());
            } catch (IOException e) {
                // Gone meanwhile.
            }
        }
        return total;
    }

    private static java.util.Set<String> containersOf(long serverPid) throws IOException, InterruptedException {
        String out = command("docker", "ps", "--no-trunc", "--filter", "label=dev.cloudrun.backend=docker",
                "--format", "{{.ID}} {{.Label \"dev.cloudrun.owner\"}}");
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String line : out.split("\n")) {
            String[] parts = line.strip().split(" ");
            if (parts.length == 2 && parts[1].startsWith("vm/" + serverPid + "/")) {
                ids.add(parts[0]);
            }
        }
        return ids;
    }

    private static long containerMemory(java.util.Set<String> ids) throws IOException, InterruptedException {
        if (ids.isEmpty()) {
            return 0;
        }
        List<String> command = new ArrayList<>(List.of("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}"));
        command.addAll(ids);
        long total = 0;
        for (String line : command(command.toArray(String[]::new)).split("\n")) {
            String used = line.split("/")[0].strip();
            if (used.isEmpty()) {
                continue;
            }
            double value = Double.parseDouble(used.replaceAll("[^0-9.]", ""));
            long unit = used.endsWith("GiB") ? 1L << 30 : used.endsWith("MiB") ? 1L << 20 : used.endsWith("KiB") ? 1L << 10 : 1;
            total += (long) (value * unit);
        }
        return total;
    }

    private static String command(String... words) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(words).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        process.waitFor();
        return out;
    }

    private static long rss(long pid) throws IOException {
        if (pid < 0) {
            return 0;
        }
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        return 0;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    private static double p90(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.9) - 1)] / 1e6;
    }

    private static void check(boolean condition, String problem) {
        if (!condition) {
            throw new IllegalStateException(problem);
        }
    }
}
