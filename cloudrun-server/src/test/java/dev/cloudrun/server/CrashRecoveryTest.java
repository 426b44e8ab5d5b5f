package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the server with SIGKILL while it writes, restarts it on the same data directory, and checks
 * that every write it acknowledged is still there (SQLite, WAL, synchronous=FULL).
 */
class CrashRecoveryTest {
    private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

    private Process child;

    @AfterEach
    void killChild() {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
        }
    }

    @Test
    void a_killed_server_loses_no_committed_data_and_restarts_cleanly(@TempDir Path dataDir) throws Exception {
        int port = startChild(dataDir);
        ApiClient api = new ApiClient("http://127.0.0.1:" + port);
        String token = api.post("/api/auth/register", null, Map.of("username", "survivor", "email", "survivor@example.com",
                "password", "crash test password")).json().path("token").asText();
        String projectId = api.post("/api/projects", token, Map.of("name", "durable")).json().path("id").asText();
        assertThat(projectId).isNotBlank();

        List<Integer> acknowledged = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int index = 0; !stop.get() && index < 10_000; index++) {
                try {
                    ApiClient.Response response = api.put("/api/projects/" + projectId + "/files/f" + index + ".txt", token,
                            ("content " + index).getBytes(StandardCharsets.UTF_8));
                    if (response.status() == 200) {
                        acknowledged.add(index);
                    }
                } catch (RuntimeException e) {
                    return; // the server died mid-request
                }
            }
        }, "crash-test-writer");
        writer.start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10)).until(() -> acknowledged.size() >= 25);
        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
        stop.set(true);
        writer.join(10_000);
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(25);

        int restartedPort = startChild(dataDir);
        ApiClient restarted = new ApiClient("http://127.0.0.1:" + restartedPort);
        assertThat(restarted.get("/api/health", null).json().path("database").path("status").asText()).isEqualTo("up");
        // The token still works: the generated secret was kept in the data directory.
        assertThat(restarted.get("/api/auth/me", token).status()).isEqualTo(200);
        String newToken = restarted.post("/api/auth/login", null, Map.of("login", "survivor", "password", "crash test password"))
                .json().path("token").asText();
        List<String> paths = restarted.get("/api/projects/" + projectId + "/files", newToken).json().path("files").findValuesAsText("path");
        for (int index : acknowledged) {
            assertThat(paths).contains("f" + index + ".txt");
            assertThat(restarted.get("/api/projects/" + projectId + "/files/f" + index + ".txt", newToken).text())
                    .isEqualTo("content " + index);
        }
        child.destroy();
        assertThat(child.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    private int startChild(Path dataDir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "dev.cloudrun.server.CloudRunServer", "--port", "0", "--data-dir", dataDir.toString(), "--backend", "local")
                .redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("CLOUDRUN_") || name.equals("DATABASE_URL"));
        child = builder.start();
        BufferedReader output = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        StringBuilder seen = new StringBuilder();
        String line;
        while (System.nanoTime() < deadline && (line = output.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher matcher = LISTENING.matcher(line);
            if (matcher.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        output.lines().forEach(ignored -> { });
                    } catch (RuntimeException e) {
                        // The child was killed: its output ends abruptly.
                    }
                }, "crash-test-drain");
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(matcher.group(1));
            }
        }
        throw new AssertionError("the server did not start; its output:\n" + seen);
    }
}
