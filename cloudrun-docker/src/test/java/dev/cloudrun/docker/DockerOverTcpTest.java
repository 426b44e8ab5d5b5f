package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.tck.LeakChecks;
import dev.cloudrun.StreamKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A daemon reached over TCP ({@code DOCKER_HOST=tcp://...}): output, interactive stdin and its
 * end-of-file work over the TCP hijack too, and CPU time comes from the cgroup since the daemon is
 * on loopback. Uses a private daemon on 127.0.0.1 (needs root), never the host's.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DockerOverTcpTest {

    @Test
    void interactiveStdinAndEndOfFileWorkOverTcp() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private dockerd and must run as root").isZero();
        Path root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-dockerd-");
        try (PrivateDockerDaemon daemon = new PrivateDockerDaemon(root)) {
            String tcp = daemon.listenOnTcp();
            daemon.start();
            daemon.loadImageFromHost("cloudrun/bash:1");
            DockerSandboxBackend backend = DockerSandboxBackend.create(
                    new DockerBackendOptions().dockerHost(tcp).maxConcurrentRuns(2));
            try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
                CountDownLatch ready = new CountDownLatch(1);
                try (Execution execution = runner.start(RunRequest.of("bash",
                        "echo ready; read -r first; echo \"got $first\"; rest=$(cat); echo \"then ${#rest} chars\"; echo oops >&2")
                        .withInteractiveStdin(), new RunListener() {
                            @Override
                            public void onText(StreamKind stream, String text) {
                                ready.countDown();
                            }
                        })) {
                    assertThat(ready.await(60, TimeUnit.SECONDS)).isTrue();
                    execution.writeStdin("one\n");
                    execution.writeStdin("two\nthree");
                    execution.closeStdin();
                    RunResult result = execution.await(Duration.ofSeconds(30)).orElseThrow();

                    assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
                    assertThat(result.stdout()).isEqualTo("ready\ngot one\nthen 9 chars\n");
                    assertThat(result.stderr()).isEqualTo("oops\n");
                }
                // The keeper and the volume are removed in the background, after the result is out.
                LeakChecks.assertNothingLeftBehind(backend::leftovers);
            }
        }
    }
    /** A terminal workspace over the TCP hijack: the shell's pty both ways, and a file written through stdin's end-of-file. */
    @Test
    void aTerminalWorkspaceWorksOverTcp() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private dockerd and must run as root").isZero();
        Path root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-dockerd-");
        try (PrivateDockerDaemon daemon = new PrivateDockerDaemon(root)) {
            String tcp = daemon.listenOnTcp();
            daemon.start();
            daemon.loadImageFromHost("cloudrun/bash:1");
            DockerSandboxBackend backend = DockerSandboxBackend.create(
                    new DockerBackendOptions().dockerHost(tcp).maxConcurrentRuns(2).pool(false));
            try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
                StringBuilder screen = new StringBuilder();
                try (dev.cloudrun.Workspace workspace = runner.openWorkspace(dev.cloudrun.WorkspaceSpec.of("bash"))) {
                    dev.cloudrun.Terminal terminal = workspace.openTerminal(80, 24, data -> {
                        synchronized (screen) {
                            screen.append(new String(data, java.nio.charset.StandardCharsets.UTF_8));
                            screen.notifyAll();
                        }
                    });
                    workspace.write("typed.txt", "over tcp".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    terminal.write("cat typed.txt; echo; echo sum $((20+22))\r".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    synchronized (screen) {
                        while (!screen.toString().contains("sum 42") && System.nanoTime() < deadline) {
                            screen.wait(100);
                        }
                        assertThat(screen.toString()).contains("over tcp").contains("sum 42");
                    }
                }
                LeakChecks.assertNothingLeftBehind(backend::leftovers);
            }
        }
    }
}
