package dev.cloudrun.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.cli.ServeJvmOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The memory of a real CloudRun server: started as a child process ({@code CloudRunCli serve}, with the
 * JVM options {@code ./cloudrun serve} uses, on a free loopback port with a temporary SQLite data
 * folder), its resident set ({@code VmRSS} in {@code /proc/PID/status}) once it has started and
 * settled, then the growth per idle, authenticated WebSocket on {@code /ws/run}: after a first few
 * sockets (whose growth, the classes and compiled code of the WebSocket path, is reported apart), in
 * rounds, the median round. Only the server's JVM is measured: sandboxes it prepares ahead of demand
 * (the local backend's waiting interpreters, the Docker backend's pooled containers) are other
 * processes.
 */
final class ServerMemory {
    private static final String SERVER_MAIN = "dev.cloudrun.cli.CloudRunCli";
    /** The JVM options of {@code ./cloudrun serve}, as the launcher passes them to the benchmark. */
    static final String LAUNCHER_OPTIONS = "CLOUDRUN_SERVE_JAVA_OPTIONS";
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration SOCKETS_TIMEOUT = Duration.ofSeconds(120);
    private static final int SOCKET_BATCH = 10;
    /** Sockets opened before the per-socket rounds: their growth is the WebSocket path's first use. */
    private static final int FIRST_SOCKETS = 10;
    /** Rounds of sockets after the first ones; the per-socket figure is the median round. */
    static final int ROUNDS = 3;
    private static final long SETTLE_MILLIS = 2000;
    private static final int SAMPLES = 5;
    private static final int QUIET_TICKS = 2;
    private static final int QUIET_SECONDS = 3;
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(30);
    private static final long SAMPLE_MILLIS = 200;

    /**
     * What was measured.
     *
     * @param idleServerRssBytes the server's resident set after start-up, or null
     * @param webSockets how many WebSockets the per-socket figure counts (the rounds', after the first few)
     * @param perWebSocketBytes the resident set's growth per open WebSocket, or null
     * @param firstWebSocketsBytes the growth with the first few sockets open (the WebSocket path's classes and
     *     compiled code, once per server), or null
     * @param jvmOptions the server's JVM options
     * @param note why a figure is missing, or null
     */
    record Result(Long idleServerRssBytes, int webSockets, Long perWebSocketBytes, Long firstWebSocketsBytes,
                  List<String> jvmOptions, String note) {
        static Result missing(int webSockets, List<String> jvmOptions, String note) {
            return new Result(null, webSockets, null, null, jvmOptions, note);
        }
    }

    private ServerMemory() { }

    /**
     * Starts a server, measures it and stops it.
     *
     * @param webSockets how many WebSockets each of the {@value #ROUNDS} rounds opens (after {@value #FIRST_SOCKETS}
     *     first ones)
     * @return the figures; missing ones are null, with a note
     */
    static Result measure(int webSockets) {
        try {
            Class.forName(SERVER_MAIN, false, ServerMemory.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return Result.missing(0, List.of(), SERVER_MAIN + " is not on the class path");
        }
        List<String> options;
        try {
            options = serveJvmOptions(System.getenv());
        } catch (RuntimeException e) {
            return Result.missing(0, List.of(), "no JVM options for the server: " + e.getMessage());
        }
        if (!Files.isReadable(Path.of("/proc/self/status"))) {
            return Result.missing(0, options, "no /proc/PID/status here");
        }
        Path dataDir = null;
        Process server = null;
        List<WebSocket> sockets = new ArrayList<>();
        try {
            dataDir = Files.createTempDirectory("cloudrun-bench-server");
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(options);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), SERVER_MAIN, "serve"));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.startsWith("CLOUDRUN_") || name.equals("DATABASE_URL"));
            env.put("CLOUDRUN_HOST", "127.0.0.1");
            env.put("CLOUDRUN_PORT", "0");
            env.put("CLOUDRUN_DATA_DIR", dataDir.toString());
            // The rounds open more sockets in a minute than one address may by default.
            env.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
            server = builder.start();
            int port = awaitPort(server);
            boolean trims = trimsNativeHeap(options);
            long idle = settledRss(server.pid(), trims);

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String token = guestToken(http, port);
            long deadline = System.nanoTime() + SOCKETS_TIMEOUT.toNanos();
            open(http, port, token, sockets, FIRST_SOCKETS, deadline);
            long before = settledRss(server.pid(), trims);
            long first = Math.max(0, before - idle);
            int perRound = webSockets;
            List<Long> perSocket = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                int opened = open(http, port, token, sockets, perRound, deadline);
                if (opened < perRound) {
                    break;
                }
                long after = settledRss(server.pid(), trims);
                perSocket.add(Math.max(0, after - before) / perRound);
                before = after;
            }
            int counted = perSocket.size() * perRound;
            Long median = perSocket.isEmpty() ? null : median(perSocket);
            return new Result(idle, counted, median, first, options,
                    perSocket.size() < ROUNDS ? "only " + sockets.size() + " WebSockets opened within " + SOCKETS_TIMEOUT.toSeconds() + " s"
                            : null);
        } catch (IOException | RuntimeException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            return Result.missing(sockets.size(), options, "server not measured: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.missing(sockets.size(), options, "interrupted");
        } finally {
            sockets.forEach(WebSocket::abort);
            if (server != null) {
                stop(server);
            }
            if (dataDir != null) {
                delete(dataDir);
            }
        }
    }

    /**
     * The server's JVM options: those the launcher passes in {@value #LAUNCHER_OPTIONS} (the options file,
     * less what this JVM does not take, then {@code JAVA_OPTS} and {@code CLOUDRUN_JAVA_OPTS}), else the
     * options file itself ({@code dev.cloudrun.cli.ServeJvmOptions}).
     *
     * @param environment the benchmark's environment
     * @return the options, in order
     */
    static List<String> serveJvmOptions(Map<String, String> environment) {
        String fromLauncher = environment.get(LAUNCHER_OPTIONS);
        if (fromLauncher != null) {
            return fromLauncher.isBlank() ? List.of() : List.of(fromLauncher.strip().split("\\s+"));
        }
        return ServeJvmOptions.defaults();
    }

    /** Whether the options make the JVM trim its native heap by itself ({@code -XX:TrimNativeHeapInterval}, the last one wins). */
    static boolean trimsNativeHeap(List<String> options) {
        boolean trims = false;
        for (String option : options) {
            if (option.startsWith("-XX:TrimNativeHeapInterval=")) {
                trims = !option.substring("-XX:TrimNativeHeapInterval=".length()).equals("0");
            }
        }
        return trims;
    }

    /** Opens sockets in batches until {@code count} more are open or the deadline passes; returns how many opened. */
    private static int open(HttpClient http, int port, String token, List<WebSocket> sockets, int count, long deadline)
            throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
        int opened = 0;
        while (opened < count && System.nanoTime() < deadline) {
            List<CompletableFuture<WebSocket>> batch = new ArrayList<>();
            for (int i = 0; i < SOCKET_BATCH && opened + batch.size() < count; i++) {
                batch.add(openAuthenticated(http, port, token));
            }
            for (CompletableFuture<WebSocket> socket : batch) {
                sockets.add(socket.get(15, TimeUnit.SECONDS));
                opened++;
            }
        }
        return opened;
    }

    private static int awaitPort(Process server) throws InterruptedException, java.util.concurrent.ExecutionException,
            java.util.concurrent.TimeoutException {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                // Keeps reading after the port is known, so that the server never blocks on a full pipe.
                for (String line; (line = lines.readLine()) != null; ) {
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        port.complete(Integer.parseInt(matcher.group(1)));
                    } else if (!port.isDone() && log.length() < 4000) {
                        log.append(line).append('\n');
                    }
                }
            } catch (IOException e) {
                // The server stopped.
            }
            port.completeExceptionally(new IllegalStateException("the server exited before listening: " + log.toString().strip()));
        }, "bench-server-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static String guestToken(HttpClient http, int port) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/auth/guest"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST /api/auth/guest answered " + response.statusCode() + ": " + response.body());
        }
        return new ObjectMapper().readTree(response.body()).path("token").asText();
    }

    private static CompletableFuture<WebSocket> openAuthenticated(HttpClient http, int port, String token) {
        CompletableFuture<WebSocket> authenticated = new CompletableFuture<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    if (text.indexOf("\"authenticated\"") >= 0) {
                        authenticated.complete(webSocket);
                    } else if (text.indexOf("\"error\"") >= 0) {
                        authenticated.completeExceptionally(new IllegalStateException("the server answered " + text));
                    }
                    text.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                authenticated.completeExceptionally(new IllegalStateException("closed with " + statusCode + " " + reason));
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                authenticated.completeExceptionally(error);
            }
        };
        http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws/run?token=" + token), listener)
                .whenComplete((socket, error) -> {
                    if (error != null) {
                        authenticated.completeExceptionally(error);
                    }
                });
        return authenticated;
    }

    /**
     * The resident set once settled: a full GC in the server (through {@code jcmd}, when the JDK has it),
     * then the trim of its native heap that the server makes by itself every few seconds when its options
     * say so (made now rather than waited for), a pause, and the median of a few samples.
     */
    private static long settledRss(long pid, boolean trims) throws InterruptedException, IOException {
        awaitQuiet(pid);
        jcmd(pid, "GC.run");
        if (trims) {
            jcmd(pid, "System.trim_native_heap");
        }
        Thread.sleep(SETTLE_MILLIS);
        List<Long> samples = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            if (i > 0) {
                Thread.sleep(SAMPLE_MILLIS);
            }
            samples.add(rss(pid));
        }
        return median(samples);
    }

    /**
     * Waits until the server stops working: start-up goes on after it listens (the sandbox backend
     * prepares its pool, the JIT compiles; a compilation holds megabytes of C heap while it runs), and
     * opening sockets leaves compilations behind. Quiet is at most {@value #QUIET_TICKS} clock ticks of
     * CPU time (about 1% of a core each) per second for {@value #QUIET_SECONDS} seconds in a row; an idle
     * server uses about one. Bounded by {@link #QUIET_TIMEOUT}.
     */
    private static void awaitQuiet(long pid) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + QUIET_TIMEOUT.toNanos();
        long before = cpuTicks(pid);
        int quietSeconds = 0;
        while (quietSeconds < QUIET_SECONDS && System.nanoTime() < deadline) {
            Thread.sleep(1000);
            long now = cpuTicks(pid);
            quietSeconds = now - before <= QUIET_TICKS ? quietSeconds + 1 : 0;
            before = now;
        }
    }

    /** User and system CPU time of a process, in clock ticks ({@code /proc/PID/stat} fields 14 and 15). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The median by the nearest rank, as the latency figures ({@link Percentiles}): the lower one of an even count. */
    static long median(List<Long> values) {
        return (long) Percentiles.of(values.stream().map(Long::doubleValue).toList()).p50();
    }

    private static void jcmd(long pid, String command) throws InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            try {
                Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException e) {
                // Not done then; the pause still lets start-up work finish.
            }
        }
    }

    /**
     * The resident set of a process.
     *
     * @param pid the process
     * @return {@code VmRSS} in bytes
     * @throws IOException if {@code /proc/PID/status} cannot be read
     */
    static long rss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/" + pid + "/status");
    }

    private static void stop(Process server) {
        server.destroy();
        try {
            if (!server.waitFor(20, TimeUnit.SECONDS)) {
                server.destroyForcibly();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void delete(Path folder) {
        try (var paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // A temporary folder; the system cleans it eventually.
        }
    }
}
