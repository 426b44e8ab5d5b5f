package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.tck.LocalPackageIndex;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The Docker daemon failing under a run, beyond {@link DockerDaemonRestartTest}: crashed in the
 * middle of a package install (held mid-download by a slow index), and restarted cleanly
 * (SIGTERM, as {@code systemctl restart docker} does) in the middle of a run. Either way the run
 * ends promptly with INTERNAL_ERROR naming the daemon (never a status that blames the program),
 * nothing waits past its limit, the next run works once the daemon is back, and nothing is left.
 * Uses a private daemon (needs root), never the host's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 400, unit = TimeUnit.SECONDS)
class DockerDaemonFaultsTest {
    private PrivateDockerDaemon daemon;
    private Path root;

    @BeforeAll
    void startDaemon() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private dockerd and must run as root").isZero();
        root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-dockerd-");
        daemon = new PrivateDockerDaemon(root);
        daemon.start();
        daemon.loadImageFromHost("cloudrun/bash:1");
        daemon.loadImageFromHost("cloudrun/python:1");
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void daemonCrashedMidInstallEndsTheRunAsInternalErrorAndTheNextInstallWorks() throws Exception {
        try (LocalPackageIndex index = new LocalPackageIndex(InetAddress.getLoopbackAddress(), "cloudrun-demo",
                "cloudrun_demo", "hi from the wheel");
             SlowIndex slow = new SlowIndex(index)) {
            // Install steps use the host's network, so that they reach the index on loopback (runs get none).
            DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions()
                    .dockerHost(daemon.dockerHost()).networkMode("host").maxConcurrentRuns(2));
            try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2)
                    .packageIndex("pypi", slow.url()))) {
                RunRequest program = RunRequest.of("python", "import cloudrun_demo\nprint(cloudrun_demo.hello())")
                        .withAutoInstall().withPackageCache("daemon-faults");
                RunResult broken;
                long crashed;
                try (Execution execution = runner.start(program, RunListener.NONE)) {
                    assertThat(slow.wheelRequested.await(120, TimeUnit.SECONDS)).as("the install is downloading").isTrue();
                    daemon.crash();
                    crashed = System.nanoTime();
                    broken = execution.await(Duration.ofSeconds(60)).orElseThrow();
                }
                assertThat(PrivateDockerDaemon.since(crashed)).as("the run ends promptly").isLessThan(Duration.ofSeconds(40));
                assertThat(broken.status()).as(broken.toString()).isEqualTo(Status.INTERNAL_ERROR);
                assertThat(broken.message()).containsIgnoringCase("daemon");
                slow.release.countDown();

                daemon.start();
                RunResult next = runner.run(program);
                assertThat(next.status()).as(next.toString()).isEqualTo(Status.OK);
                assertThat(next.stdout()).isEqualTo("hi from the wheel\n");
                assertSwept(backend);
            }
        }
    }

    @Test
    void daemonRestartedCleanlyMidRunEndsTheRunAsInternalErrorAndTheNextRunWorks() throws Exception {
        DockerSandboxBackend backend = DockerSandboxBackend.create(
                new DockerBackendOptions().dockerHost(daemon.dockerHost()).maxConcurrentRuns(2));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
            CountDownLatch started = new CountDownLatch(1);
            RunResult broken;
            long stopped;
            try (Execution execution = runner.start(RunRequest.of("bash", "echo started; sleep 60")
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(60))), new RunListener() {
                        @Override
                        public void onText(StreamKind stream, String text) {
                            started.countDown();
                        }
                    })) {
                assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
                long pid = Long.parseLong(Files.readString(root.resolve("dockerd.pid")).strip());
                ProcessHandle dockerd = ProcessHandle.of(pid).orElseThrow();
                dockerd.destroy();
                stopped = System.nanoTime();
                dockerd.onExit().get(60, TimeUnit.SECONDS);
                daemon.start();
                broken = execution.await(Duration.ofSeconds(60)).orElseThrow();
            }
            assertThat(PrivateDockerDaemon.since(stopped)).as("the run ends well before its 60 s limit")
                    .isLessThan(Duration.ofSeconds(50));
            assertThat(broken.status()).as(broken.toString()).isEqualTo(Status.INTERNAL_ERROR);
            assertThat(broken.message()).containsIgnoringCase("daemon");

            RunResult next = runner.run(RunRequest.of("bash", "echo back"));
            assertThat(next.status()).as(next.toString()).isEqualTo(Status.OK);
            assertThat(next.stdout()).isEqualTo("back\n");
            assertSwept(backend);
        }
    }

    private void assertSwept(DockerSandboxBackend backend) throws Exception {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> backend.leftovers().isEmpty());
        // The warm pool's ready sandboxes are not leftovers: the backend removes them when it closes.
        assertThat(DockerBackendTest.notPooled(backend, backend.client().listContainersCmd().withShowAll(true).exec()))
                .as("containers but the warm pool's").isEmpty();
        // Only package caches stay, on purpose: the next install reuses them.
        assertThat(daemon.docker("volume", "ls", "--filter", "label=" + DockerSandboxBackend.LABEL_RUN, "-q").output())
                .isBlank();
    }

    /** A package index in front of the real one that holds every wheel download until released. */
    static final class SlowIndex implements AutoCloseable {
        final CountDownLatch wheelRequested = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final HttpServer server;
        private final HttpClient client = HttpClient.newHttpClient();

        SlowIndex(LocalPackageIndex real) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.createContext("/", exchange -> {
                String path = exchange.getRequestURI().getPath();
                try {
                    if (path.startsWith("/files/")) {
                        wheelRequested.countDown();
                        release.await(120, TimeUnit.SECONDS);
                    }
                    HttpResponse<byte[]> answer = client.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + real.port() + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
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
                    // The installer that asked is gone.
                } finally {
                    exchange.close();
                }
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/simple";
        }

        @Override
        public void close() {
            release.countDown();
            server.stop(0);
        }
    }
}
