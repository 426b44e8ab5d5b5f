package dev.cloudrun.cli;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A benchmark, not a test (it asserts nothing): where {@code run_code}'s time goes, over stdio
 * ({@code cloudrun mcp} as a child process, started with the launcher's JVM options) and over
 * streamable HTTP (the IDE server's {@code /mcp} in this JVM, with an API key), against the same run
 * through the SDK in this JVM, and the memory an idle session costs, as sessions per GiB.
 *
 * <p>Every round runs each leg once, in a rotating order, so that the machine's load (shared, 2 cores)
 * falls on all legs alike; an overhead is the median of the per-round differences with the SDK run of
 * the same round. The legs, each adding one layer to the one before:
 * <ol>
 *   <li>the SDK: {@code CodeRunner.run} with the request {@code run_code} builds (same language,
 *       limits, network, no {@code out/});
 *   <li>our tool handler, called in this JVM on the same runner (arguments, policy, the result's JSON):
 *       no MCP SDK, no transport;
 *   <li>raw JSON-RPC: a line written to a second {@code cloudrun mcp}'s stdin and its answer read, or a
 *       plain HTTP POST to {@code /mcp} and its SSE answer read: the MCP SDK's server, the pipe or
 *       Jetty with its gate, and for stdio the second JVM, but no MCP client;
 *   <li>the MCP SDK's client ({@code McpSyncClient} over its stdio or HTTP transport), as agents' Java
 *       clients call.
 * </ol>
 * A last leg, {@code GET /api/health} on the same server, is the floor of any HTTP call there.
 *
 * <pre>./cloudrun bench mcp [--backend local|docker] [--runs N] [--warmup W] [--sessions K]</pre>
 */
public final class McpBenchmark {
    private static final String PROGRAM = "print('hello')";
    private static final Map<String, Object> ARGUMENTS = Map.of("language", "python", "source", PROGRAM);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private McpBenchmark() { }

    /** One way of running the program, timed. */
    private interface Leg {
        void run() throws Exception;
    }

    /**
     * @param args {@code --backend local|docker} (local), {@code --runs N} (20), {@code --warmup W} (3 calls
     *     on each leg before timing: a fresh {@code cloudrun mcp}, as an agent meets it; a few hundred show
     *     the JIT-compiled steady state), {@code --sessions K} (8)
     * @throws Exception if the benchmark cannot run
     */
    public static void main(String[] args) throws Exception {
        String backend = "local";
        int runs = 20;
        int warmup = 3;
        int sessions = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--backend" -> backend = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        BackendKind kind = backend.equals("docker") ? BackendKind.DOCKER : BackendKind.LOCAL;
        dev.cloudrun.mcp.McpPolicy policy = dev.cloudrun.mcp.McpPolicy.defaults();
        // What run_code asks for: CloudRunMcp.runCode builds the same request from these arguments.
        RunRequest request = RunRequest.of("python", PROGRAM).withLimits(policy.defaultLimits()).withNetwork(false);
        String[] names = {"SDK in-process", "SDK, collecting out/", "tool handler in-process", "stdio, raw JSON-RPC",
            "stdio, MCP SDK client", "HTTP, raw JSON-RPC", "HTTP, MCP SDK client", "GET /api/health"};
        long[][] times = new long[names.length][runs];
        // One runner per in-process leg, as each server has its own: every runner serves one run a round, so
        // each finds its pre-started sandbox (local) or warm container (Docker) ready, as the servers' runners do.
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(kind));
             CodeRunner collectingRunner = CodeRunner.create(config -> config.backend(kind));
             CodeRunner handlerRunner = CodeRunner.create(config -> config.backend(kind));
             dev.cloudrun.mcp.CloudRunMcp tools = dev.cloudrun.mcp.CloudRunMcp.create(handlerRunner, policy,
                     exchange -> "bench", new dev.cloudrun.mcp.RunCancellations());
             McpTestServer stdio = new McpTestServer(backend, "--max-sessions", String.valueOf(sessions));
             RawStdio rawStdio = new RawStdio(backend);
             HttpLegs http = new HttpLegs(backend)) {
            var handler = tools.tools().stream().filter(tool -> tool.tool().name().equals("run_code")).findFirst()
                    .orElseThrow().callHandler();
            Leg[] legs = {
                () -> check(runner.run(request).stdout().equals("hello\n"), "the SDK run failed"),
                () -> collectingRunner.run(request.withOutputFiles("out", 4L << 20)),
                () -> check("hello\n".equals(McpTestServer.structured(handler.apply(null,
                        new McpSchema.CallToolRequest("run_code", ARGUMENTS))).get("stdout")), "the handler failed"),
                rawStdio::call,
                () -> check("hello\n".equals(McpTestServer.structured(stdio.call("run_code", ARGUMENTS)).get("stdout")),
                        "run_code over stdio failed"),
                http::rawCall,
                http::clientCall,
                http::health,
            };
            for (int round = -warmup; round < runs; round++) {
                int first = Math.floorMod(round, legs.length);
                for (int k = 0; k < legs.length; k++) {
                    int leg = (first + k) % legs.length;
                    long start = System.nanoTime();
                    legs[leg].run();
                    if (round >= 0) {
                        times[leg][round] = System.nanoTime() - start;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "backend %s, python hello, %d rounds of every leg in turn (after %d warm-up "
                    + "rounds)%n", backend, runs, warmup);
            for (int leg = 0; leg < legs.length - 1; leg++) {
                System.out.printf(Locale.ROOT, "  %-24s median %6.1f ms  p90 %6.1f ms  over the SDK run: %+6.1f ms%n",
                        names[leg] + ":", median(times[leg]), p90(times[leg]), medianDifference(times[leg], times[0]));
            }
            int health = legs.length - 1;
            System.out.printf(Locale.ROOT, "  %-24s median %6.1f ms  p90 %6.1f ms  (no run, no MCP: the same server's "
                    + "HTTP round trip with a database ping)%n", names[health] + ":", median(times[health]), p90(times[health]));
            System.out.printf(Locale.ROOT, "  where stdio's %+.1f ms go: our tool handler %+.1f, MCP SDK server + pipe + "
                            + "second JVM %+.1f, MCP SDK client %+.1f%n", medianDifference(times[4], times[0]),
                    medianDifference(times[2], times[0]), medianDifference(times[3], times[2]),
                    medianDifference(times[4], times[3]));
            System.out.printf(Locale.ROOT, "  where HTTP's %+.1f ms go: our tool handler %+.1f, Jetty + gate (key, quota) "
                            + "+ MCP SDK servlet %+.1f, MCP SDK client %+.1f%n", medianDifference(times[6], times[0]),
                    medianDifference(times[2], times[0]), medianDifference(times[5], times[2]),
                    medianDifference(times[6], times[5]));
            sessionsPerGiB(stdio, sessions, backend, rawStdio.process.pid());
        }
    }

    /** {@code cloudrun mcp} as a child process, spoken to in JSON-RPC lines by hand: no MCP client. */
    private static final class RawStdio implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedReader answers;
        private final java.io.OutputStream requests;
        private long nextId;

        RawStdio(String backend) throws IOException {
            List<String> command = new ArrayList<>(List.of(McpTestServer.javaExecutable()));
            command.addAll(ServeJvmOptions.mcpDefaults());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cloudrun.cli.CloudRunCli", "mcp",
                    "--backend", backend));
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            answers = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            requests = process.getOutputStream();
            ask("initialize", Map.of("protocolVersion", "2025-06-18", "capabilities", Map.of(),
                    "clientInfo", Map.of("name", "bench", "version", "1")));
            send(Map.of("jsonrpc", "2.0", "method", "notifications/initialized"));
        }

        void call() throws IOException {
            com.fasterxml.jackson.databind.JsonNode answer = ask("tools/call", Map.of("name", "run_code",
                    "arguments", ARGUMENTS));
            check("hello\n".equals(answer.path("result").path("structuredContent").path("stdout").asText()),
                    "raw run_code over stdio answered " + answer);
        }

        private com.fasterxml.jackson.databind.JsonNode ask(String method, Object params) throws IOException {
            long id = ++nextId;
            send(Map.of("jsonrpc", "2.0", "id", id, "method", method, "params", params));
            while (true) {
                String line = answers.readLine();
                check(line != null, "cloudrun mcp ended");
                com.fasterxml.jackson.databind.JsonNode message = JSON.readTree(line);
                if (message.path("id").asLong(-1) == id && !message.has("method")) {
                    return message;
                }
            }
        }

        private void send(Object message) throws IOException {
            requests.write(JSON.writeValueAsBytes(message));
            requests.write('\n');
            requests.flush();
        }

        @Override
        public void close() throws InterruptedException {
            try {
                requests.close();
            } catch (IOException e) {
                // Gone already.
            }
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroy();
            }
        }
    }

    /** A real server's /mcp in this JVM, with an API key of scope run: called raw and through the MCP SDK's client. */
    private static final class HttpLegs implements AutoCloseable {
        private final dev.cloudrun.server.CloudRunServer server;
        /** HTTP/1.1, as the MCP SDK's transport and most agents' clients speak (no h2c upgrade attempt). */
        private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        private final String endpoint;
        private final String key;
        private final String session;
        private final String protocol;
        private final io.modelcontextprotocol.client.McpSyncClient client;
        private long nextId;

        HttpLegs(String backend) throws Exception {
            Path dataDir = Files.createTempDirectory("cloudrun-mcp-bench");
            Map<String, String> settings = new java.util.HashMap<>();
            settings.put("CLOUDRUN_PORT", "0");
            settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
            settings.put("CLOUDRUN_BACKEND", backend);
            settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
            settings.put("CLOUDRUN_USER_RUNS_PER_MINUTE", "100000");
            settings.put("CLOUDRUN_IP_RUNS_PER_MINUTE", "100000");
            server = dev.cloudrun.server.CloudRunServer.create(dev.cloudrun.server.config.ServerConfig.of(settings)).start();
            String base = "http://127.0.0.1:" + server.port();
            endpoint = base + "/mcp";
            String name = "bench" + Long.toHexString(System.nanoTime());
            String token = JSON.readTree(post(base + "/api/auth/register", null, Map.of("username", name,
                    "email", name + "@example.com", "password", "correct horse battery"))).path("token").asText();
            key = JSON.readTree(post(base + "/api/keys", token, Map.of("name", "bench",
                    "scopes", List.of("run")))).path("key").asText();
            var initialized = mcpPost(null, null, Map.of("jsonrpc", "2.0", "id", ++nextId, "method", "initialize",
                    "params", Map.of("protocolVersion", "2025-06-18", "capabilities", Map.of(),
                            "clientInfo", Map.of("name", "bench", "version", "1"))));
            session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();
            protocol = answerOf(initialized).path("result").path("protocolVersion").asText();
            mcpPost(session, protocol, Map.of("jsonrpc", "2.0", "method", "notifications/initialized")).body().close();
            io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport transport =
                    io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport.builder(base).endpoint("/mcp")
                            .jsonMapper(new io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper(JSON))
                            .httpRequestCustomizer((builder, method, uri, body, context) ->
                                    builder.header("Authorization", "Bearer " + key))
                            .build();
            client = io.modelcontextprotocol.client.McpClient.sync(transport)
                    .requestTimeout(java.time.Duration.ofSeconds(60)).build();
            client.initialize();
        }

        void clientCall() {
            Map<String, Object> answer = McpTestServer.structured(client.callTool(
                    McpSchema.CallToolRequest.builder().name("run_code").arguments(ARGUMENTS).build()));
            check("hello\n".equals(answer.get("stdout")), "run_code over HTTP printed " + answer);
        }

        void health() throws Exception {
            java.net.http.HttpResponse<String> response = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(endpoint.replace("/mcp", "/api/health"))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            check(response.statusCode() == 200, "/api/health answered " + response.statusCode());
        }

        void rawCall() throws Exception {
            var answer = answerOf(mcpPost(session, protocol, Map.of("jsonrpc", "2.0", "id", ++nextId,
                    "method", "tools/call", "params", Map.of("name", "run_code", "arguments", ARGUMENTS))));
            check("hello\n".equals(answer.path("result").path("structuredContent").path("stdout").asText()),
                    "raw run_code over HTTP answered " + answer);
        }

        private java.net.http.HttpResponse<java.io.InputStream> mcpPost(String sessionId, String version, Object message)
                throws Exception {
            java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(endpoint))
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .header("Authorization", "Bearer " + key)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(message)));
            if (sessionId != null) {
                request.header("Mcp-Session-Id", sessionId).header("MCP-Protocol-Version", version);
            }
            var response = http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
            check(response.statusCode() / 100 == 2, "/mcp answered " + response.statusCode());
            return response;
        }

        /** @return the JSON-RPC response in an SSE or JSON body; the body is closed */
        private static com.fasterxml.jackson.databind.JsonNode answerOf(java.net.http.HttpResponse<java.io.InputStream> response)
                throws IOException {
            try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(response.body(),
                    java.nio.charset.StandardCharsets.UTF_8))) {
                if (!response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
                    return JSON.readTree(lines);
                }
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("data:")) {
                        com.fasterxml.jackson.databind.JsonNode message = JSON.readTree(line.substring(5));
                        if (message.has("id") && !message.has("method")) {
                            // Read to the stream's end (the server ends it after the answer), so the connection
                            // goes back to the client's pool instead of being closed under the next request.
                            while (lines.readLine() != null) {
                                continue;
                            }
                            return message;
                        }
                    }
                }
            }
            throw new IllegalStateException("/mcp sent no answer");
        }

        private String post(String url, String token, Map<String, Object> body) throws Exception {
            java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            java.net.http.HttpResponse<String> response = http.send(request.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            check(response.statusCode() / 100 == 2, url + " answered " + response.statusCode() + ": " + response.body());
            return response.body();
        }

        @Override
        public void close() {
            try {
                client.closeGracefully();
            } finally {
                server.stop();
            }
        }
    }

    private static void sessionsPerGiB(McpTestServer server, int count, String backend, long otherServerPid)
            throws IOException, InterruptedException {
        long serverPid = ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("java"))
                .mapToLong(ProcessHandle::pid).filter(pid -> pid != otherServerPid).max().orElse(-1);
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

    /** @return the median of {@code a[i] - b[i]}: what a leg adds to the SDK run of the same round */
    private static double medianDifference(long[] a, long[] b) {
        long[] differences = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            differences[i] = a[i] - b[i];
        }
        Arrays.sort(differences);
        return differences[differences.length / 2] / 1e6;
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
