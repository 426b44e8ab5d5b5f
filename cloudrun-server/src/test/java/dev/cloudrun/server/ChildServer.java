package dev.cloudrun.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real server process ({@code CloudRunServer.main} in a child JVM, as {@code ./cloudrun serve}
 * starts it), so a test can kill it with SIGKILL; started the way {@link CrashRecoveryTest} does.
 */
final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

    private final Process process;
    private final int port;
    private final StringBuffer output;

    private ChildServer(Process process, int port, StringBuffer output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /**
     * Starts a server and waits until it listens.
     *
     * @param dataDir its data directory
     * @param backend {@code local} or {@code docker}
     * @param environment extra {@code CLOUDRUN_*} settings
     * @return the running server
     */
    static ChildServer start(Path dataDir, String backend, Map<String, String> environment) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "dev.cloudrun.server.CloudRunServer", "--port", "0", "--data-dir", dataDir.toString(), "--backend", backend));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("CLOUDRUN_") || name.equals("DATABASE_URL"));
        builder.environment().put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        builder.environment().put("CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000");
        builder.environment().put("CLOUDRUN_USER_RUNS_PER_MINUTE", "1000");
        builder.environment().putAll(environment);
        Process process = builder.start();
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuffer seen = new StringBuffer();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String line;
        while (System.nanoTime() < deadline && (line = reader.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher matcher = LISTENING.matcher(line);
            if (matcher.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        reader.lines().forEach(rest -> seen.append(rest).append('\n'));
                    } catch (RuntimeException e) {
                        // The child was killed: its output ends abruptly.
                    }
                }, "child-server-drain");
                drain.setDaemon(true);
                drain.start();
                return new ChildServer(process, Integer.parseInt(matcher.group(1)), seen);
            }
        }
        process.destroyForcibly();
        throw new AssertionError("the server did not start; its output:\n" + seen);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    ApiClient api() {
        return new ApiClient("http://127.0.0.1:" + port);
    }

    String wsUrl(String token) {
        return "ws://127.0.0.1:" + port + "/ws/run?token=" + token;
    }

    /** @return what the server printed so far */
    String output() {
        return output.toString();
    }

    /** Kills the server with SIGKILL, as the OOM killer or a power cut would, and waits until it is gone. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new AssertionError("the server did not die");
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL if it does not stop). */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
