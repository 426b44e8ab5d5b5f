package dev.cloudrun.server;

import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What a terminal costs (a benchmark, not a test): a real server with the local or Docker backend, the JDK's
 * WebSocket client over loopback. Prints the time from opening {@code /ws/terminal/...} to the
 * first prompt, for a project whose workspace must be opened (cold) and for one whose workspace is
 * open (warm); the keystroke echo round trip (one character typed, its echo received); and the
 * resident memory of the sandbox processes of one idle workspace with one idle shell (local backend
 * only: a Docker workspace's memory is its container's, which {@code dev.cloudrun.docker.TerminalBenchmark}
 * prints).
 *
 * <pre>
 * java -cp ... dev.cloudrun.server.TerminalBenchmark [ROUNDS=20] [KEYSTROKES=200] [BACKEND=local|docker]
 * </pre>
 */
public final class TerminalBenchmark {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private TerminalBenchmark() { }

    /**
     * @param args rounds of opening, keystrokes, backend
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int keystrokes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        String backend = args.length > 2 ? args[2] : "local";
        Path dataDir = Files.createTempDirectory("cloudrun-terminal-bench-");
        Map<String, String> settings = new HashMap<>();
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend);
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "100000");
        settings.put("CLOUDRUN_MAX_TERMINALS_PER_USER", "1000");
        settings.put("CLOUDRUN_MAX_WORKSPACES_PER_USER", "1000");
        CloudRunServer server = CloudRunServer.create(ServerConfig.of(settings)).start();
        try {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            String url = "ws://127.0.0.1:" + server.port() + "/ws/terminal/";
            String token = api.post("/api/auth/guest", null, Map.of()).json().path("token").asText();
            List<Double> cold = new ArrayList<>();
            List<Double> warm = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                String projectId = api.post("/api/projects", token, Map.of("name", "b" + UUID.randomUUID().toString()
                        .substring(0, 8), "language", "python", "files", Map.of("main.py", "print(1)\n"))).json()
                        .path("id").asText();
                cold.add(toPrompt(url + projectId + "?token=" + token));
                warm.add(toPrompt(url + projectId + "?token=" + token));
            }
            String projectId = api.post("/api/projects", token, Map.of("name", "echo", "language", "python")).json()
                    .path("id").asText();
            List<Double> echo = new ArrayList<>();
            long before = sandboxRssKib();
            try (WsSession socket = WsSession.open(url + projectId + "?token=" + token)) {
                socket.next(WAIT);
                socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
                awaitOutput(socket, "$ ");
                Thread.sleep(1000);
                long idle = sandboxRssKib() - before;
                for (int index = 0; index < keystrokes; index++) {
                    long start = System.nanoTime();
                    socket.send(Map.of("type", "input", "data", "x"));
                    awaitOutput(socket, "x");
                    echo.add((System.nanoTime() - start) / 1e6);
                    if (index % 50 == 49) {
                        socket.send(Map.of("type", "input", "data", "\u0015"));
                        Thread.sleep(50);
                    }
                }
                System.out.printf(Locale.ROOT, "%-34s %8s %8s %8s%n", backend + " backend, loopback", "p50", "p95", "max");
                print("open to first prompt, cold (ms)", cold);
                print("open to first prompt, warm (ms)", warm);
                print("keystroke echo round trip (ms)", echo);
                if (backend.equals("local")) {
                    System.out.printf(Locale.ROOT, "%-34s %8d%n", "idle workspace + shell, RSS (KiB)", idle);
                }
            }
        } finally {
            server.stop();
        }
    }

    private static double toPrompt(String url) {
        long start = System.nanoTime();
        WsSession socket = WsSession.open(url);
        socket.next(WAIT);
        socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
        awaitOutput(socket, "$ ");
        double millis = (System.nanoTime() - start) / 1e6;
        socket.send(Map.of("type", "close"));
        socket.untilType("exit", WAIT);
        socket.close();
        return millis;
    }

    private static void awaitOutput(WsSession socket, String text) {
        StringBuilder seen = new StringBuilder();
        socket.until(message -> {
            if (message.path("type").asText().equals("output")) {
                seen.append(message.path("data").asText());
            }
            return seen.toString().contains(text);
        }, WAIT);
    }

    /** The resident memory of this JVM's descendant processes (the local sandboxes), in KiB. */
    private static long sandboxRssKib() {
        return ProcessHandle.current().descendants().mapToLong(process -> {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // The process ended meanwhile.
            }
            return 0;
        }).sum();
    }

    private static void print(String what, List<Double> millis) {
        double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "%-34s %8.1f %8.1f %8.1f%n", what, percentile(sorted, 50), percentile(sorted, 95),
                sorted[sorted.length - 1]);
    }

    private static double percentile(double[] sorted, int percent) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)];
    }
}
