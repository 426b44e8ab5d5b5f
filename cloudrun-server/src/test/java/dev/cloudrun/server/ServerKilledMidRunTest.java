package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.tck.LocalPackageIndex;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server killed with SIGKILL while one run executes and (local backend) another installs a
 * package, held mid-download by a slow index in front of the loopback one. After a restart on
 * the same data directory nothing is lost or stuck: both runs are in the history with a final
 * status, the saved project is intact, the dead server's sandboxes (processes, cgroups, mounts,
 * folders; containers and volumes) are gone, and the package cache installs and runs again.
 */
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class ServerKilledMidRunTest {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String MARKER = "31415";

    @ParameterizedTest(name = "{0} backend")
    @ValueSource(strings = {"local", "docker"})
    void a_server_killed_during_a_run_and_an_install_restarts_with_nothing_lost_stuck_or_left(String backend,
            @TempDir Path dataDir) throws Exception {
        // Docker: a container cannot reach an index on the host's loopback, and pip refuses plain HTTP anywhere else,
        // so the Docker variant kills the server during a run only (DockerDaemonFaultsTest covers installs there).
        boolean install = backend.equals("local");
        InetAddress indexAddress = InetAddress.getLoopbackAddress();
        try (LocalPackageIndex index = new LocalPackageIndex(indexAddress, "cloudrun-demo", "cloudrun_demo", "hi from the wheel");
             SlowIndex slow = new SlowIndex(indexAddress, index)) {
            Map<String, String> settings = Map.of("CLOUDRUN_PYPI_INDEX_URL", slow.url());
            String token;
            String projectId;
            long deadPid;
            try (ChildServer first = ChildServer.start(dataDir, backend, settings)) {
                ApiClient api = first.api();
                token = api.post("/api/auth/register", null, Map.of("username", "killed", "email", "killed@example.com",
                        "password", "kill nine password")).json().path("token").asText();
                projectId = api.post("/api/projects", token, Map.of("name", "saved", "language", "python",
                        "files", Map.of("main.py", "print('saved')", "lib/util.py", "X = 1\n"), "entry", "main.py"))
                        .json().path("id").asText();
                assertThat(api.put("/api/projects/" + projectId + "/files/notes.txt", token,
                        "notes".getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(200);

                try (WsSession running = WsSession.open(first.wsUrl(token));
                     WsSession installing = WsSession.open(first.wsUrl(token))) {
                    running.send(Map.of("type", "start", "language", "bash", "source", "echo started; exec sleep " + MARKER));
                    running.awaitStdout("started", WAIT);
                    if (install) {
                        installing.send(Map.of("type", "start", "language", "python", "autoInstall", true,
                                "source", "import cloudrun_demo\nprint(cloudrun_demo.hello())\n"));
                    }
                    if (install && !slow.wheelRequested.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
                        throw new AssertionError("the install never asked for the wheel; the socket said: "
                                + installing.until(message -> message.path("type").asText().equals("finished"),
                                        Duration.ofSeconds(5)));
                    }
                    deadPid = first.pid();
                    first.kill9();
                }
            }
            slow.release.countDown();

            try (ChildServer second = ChildServer.start(dataDir, backend, settings)) {
                ApiClient api = second.api();
                JsonNode runs = api.get("/api/runs", token).json().path("runs");
                assertThat(runs).hasSize(install ? 2 : 1);
                for (JsonNode run : runs) {
                    assertThat(run.path("status").asText()).as(run.toString()).isEqualTo("INTERNAL_ERROR");
                    assertThat(run.path("message").asText()).contains("server stopped");
                    assertThat(run.path("finishedAtMillis").isNumber())
                            .as(run.toString()).isTrue();
                }

                JsonNode files = api.get("/api/projects/" + projectId + "/files", token).json().path("files");
                assertThat(files.findValuesAsText("path")).contains("main.py", "lib/util.py", "notes.txt");
                assertThat(api.get("/api/projects/" + projectId + "/files/main.py", token).text()).isEqualTo("print('saved')");
                assertThat(api.get("/api/projects/" + projectId + "/files/lib/util.py", token).text()).isEqualTo("X = 1\n");

                await("the dead server's sandboxes are swept").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(250))
                        .untilAsserted(() -> assertThat(leftoversOf(deadPid, backend)).isEmpty());

                if (install) {
                    JsonNode installed = api.post("/api/runs", token, Map.of("language", "python", "autoInstall", true,
                            "source", "import cloudrun_demo\nprint(cloudrun_demo.hello())\n")).json();
                    assertThat(installed.path("status").asText()).as(installed.toString()).isEqualTo("OK");
                    assertThat(installed.path("stdout").asText()).isEqualTo("hi from the wheel\n");
                }
                JsonNode again = api.post("/api/runs", token, Map.of("projectId", projectId)).json();
                assertThat(again.path("status").asText()).as(again.toString()).isEqualTo("OK");
                assertThat(again.path("stdout").asText()).isEqualTo("saved\n");
            }
        }
    }

    /** What the server with this pid left on the host: processes, cgroups, mounts, folders, containers, volumes. */
    static List<String> leftoversOf(long pid, String backend) throws IOException, InterruptedException {
        List<String> found = new ArrayList<>();
        String instance = "cloudrun-" + pid + "-";
        ProcessHandle.allProcesses().forEach(process -> {
            if (process.info().commandLine().orElse("").contains("sleep " + MARKER)) {
                found.add("process " + process.pid() + " " + process.info().commandLine().orElse(""));
            }
            try {
                if (Files.readString(Path.of("/proc/" + process.pid() + "/cgroup")).contains("/" + instance)) {
                    found.add("process in a cgroup of the dead server: " + process.pid());
                }
            } catch (IOException | RuntimeException e) {
                // The process is gone.
            }
        });
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path controller : controllers.toList()) {
                try (Stream<Path> groups = Files.walk(controller, 3)) {
                    groups.filter(dir -> dir.getFileName().toString().startsWith(instance)
                                    || dir.getFileName().toString().startsWith(pid + "-"))
                            .forEach(dir -> found.add("cgroup " + dir));
                } catch (IOException | RuntimeException e) {
                    // Not a folder, or one that vanished while walked.
                }
            }
        }
        Files.readAllLines(Path.of("/proc/mounts")).stream().filter(line -> line.contains(instance))
                .forEach(line -> found.add("mount " + line));
        for (Path base : List.of(Path.of("/tmp/cloudrun-sandboxes-0"), Path.of("/tmp"))) {
            if (Files.isDirectory(base)) {
                try (Stream<Path> entries = Files.list(base)) {
                    entries.filter(entry -> entry.getFileName().toString().startsWith(instance))
                            .forEach(entry -> found.add("folder " + entry));
                }
            }
        }
        if (backend.equals("docker")) {
            String owner = "/" + pid + "/";
            command("docker", "ps", "-a", "--filter", "label=dev.cloudrun.backend=docker",
                    "--format", "{{.ID}} {{.Label \"dev.cloudrun.owner\"}}").lines()
                    .filter(line -> line.contains(owner)).forEach(line -> found.add("container " + line));
            command("docker", "volume", "ls", "--filter", "label=dev.cloudrun.backend=docker",
                    "--format", "{{.Name}} {{.Label \"dev.cloudrun.owner\"}}").lines()
                    .filter(line -> line.contains(owner)).forEach(line -> found.add("volume " + line));
        }
        return found;
    }

    static String command(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }

    /** A package index in front of the real one that holds every wheel download until released. */
    static final class SlowIndex implements AutoCloseable {
        final CountDownLatch wheelRequested = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final HttpServer server;
        private final HttpClient client = HttpClient.newHttpClient();

        private final String host;

        SlowIndex(InetAddress address, LocalPackageIndex real) throws IOException {
            host = address.getHostAddress();
            server = HttpServer.create(new InetSocketAddress(address, 0), 16);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                try {
                    if (path.startsWith("/files/")) {
                        wheelRequested.countDown();
                        release.await(120, TimeUnit.SECONDS);
                    }
                    HttpResponse<byte[]> answer = client.send(HttpRequest.newBuilder(
                            URI.create("http://" + host + ":" + real.port() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
                    answer.headers().firstValue("Content-Type").ifPresent(type -> exchange.getResponseHeaders().set("Content-Type", type));
                    if (answer.statusCode() != 200) {
                        exchange.sendResponseHeaders(answer.statusCode(), -1);
                    } else {
                        exchange.sendResponseHeaders(200, answer.body().length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(answer.body());
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    // The installer that asked is gone (killed with its server).
                } finally {
                    exchange.close();
                }
            });
            server.start();
        }

        String url() {
            return "http://" + host + ":" + server.getAddress().getPort() + "/simple";
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
        }
    }
}
