package dev.cloudrun.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The memory of a real CloudRun server: started as a child process ({@code CloudRunCli serve}, as
 * {@code ./cloudrun serve} starts it, on a free loopback port with a temporary SQLite data folder),
 * its resident set ({@code VmRSS} in {@code /proc/PID/status}) once it has started and settled after
 * a full GC, then again with a number of idle, authenticated WebSockets open on {@code /ws/run}; the
 * difference divided by their count is the cost of one idle WebSocket.
 */
final class ServerMemory {
    private static final String SERVER_MAIN = "dev.cloudrun.cli.CloudRunCli";
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration SOCKETS_TIMEOUT = Duration.ofSeconds(60);
    private static final int SOCKET_BATCH = 10;
    private static final long SETTLE_MILLIS = 2000;

    /**
     * What was measured.
     *
     * @param idleServerRssBytes the server's resident set after start-up, or null
     * @param webSockets how many WebSockets were open for the second figure
     * @param perWebSocketBytes the resident set's growth per open WebSocket, or null
     * @param note why a figure is missing, or null
     */
    record Result(Long idleServerRssBytes, int webSockets, Long perWebSocketBytes, String note) { }

    private ServerMemory() { }

    /**
     * Starts a server, measures it and stops it.
     *
     * @param webSockets how many WebSockets to open
     * @return the figures; missing ones are null, with a note
     */
    static Result measure(int webSockets) {
        try {
            Class.forName(SERVER_MAIN, false, ServerMemory.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return new Result(null, 0, null, SERVER_MAIN + " is not on the class path");
        }
        if (!Files.isReadable(Path.of("/proc/self/status"))) {
            return new Result(null, 0, null, "no /proc/PID/status here");
        }
        Path dataDir = null;
        Process server = null;
        List<WebSocket> sockets = new ArrayList<>();
        try {
            dataDir = Files.createTempDirectory("cloudrun-bench-server");
            String java = ProcessHandle.current().info().command().orElse("java");
            ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SERVER_MAIN, "serve")
                    .redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.startsWith("CLOUDRUN_") || name.equals("DATABASE_URL"));
            env.put("CLOUDRUN_HOST", "127.0.0.1");
            env.put("CLOUDRUN_PORT", "0");
            env.put("CLOUDRUN_DATA_DIR", dataDir.toString());
            server = builder.start();
            int port = awaitPort(server);
            settle(server.pid());
            long idle = rss(server.pid());

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String token = guestToken(http, port);
            long deadline = System.nanoTime() + SOCKETS_TIMEOUT.toNanos();
            while (sockets.size() < webSockets && System.nanoTime() < deadline) {
                List<CompletableFuture<WebSocket>> batch = new ArrayList<>();
                for (int i = 0; i < SOCKET_BATCH && sockets.size() + batch.size() < webSockets; i++) {
                    batch.add(openAuthenticated(http, port, token));
                }
                for (CompletableFuture<WebSocket> socket : batch) {
                    sockets.add(socket.get(15, TimeUnit.SECONDS));
                }
            }
            settle(server.pid());
            long withSockets = rss(server.pid());
            Long perSocket = sockets.isEmpty() ? null : Math.max(0, withSockets - idle) / sockets.size();
            return new Result(idle, sockets.size(), perSocket, null);
        } catch (IOException | RuntimeException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            return new Result(null, sockets.size(), null, "server not measured: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(null, sockets.size(), null, "interrupted");
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

    /** A full GC in the server (through {@code jcmd}, when the JDK has it), then a pause. */
    private static void settle(long pid) throws InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (Files.isExecutable(jcmd)) {
            try {
                Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!gc.waitFor(30, TimeUnit.SECONDS)) {
                    gc.destroyForcibly();
                }
            } catch (IOException e) {
                // No GC then; the pause still lets start-up work finish.
            }
        }
        Thread.sleep(SETTLE_MILLIS);
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
