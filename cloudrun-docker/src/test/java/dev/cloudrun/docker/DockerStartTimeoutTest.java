package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A container runtime that hangs in {@code start}, as {@code runsc} was seen to under heavy load:
 * a private daemon has a runtime {@code hang} that is runc for every command but {@code start},
 * where it sleeps. The run ends INTERNAL_ERROR soon after the start timeout, naming the daemon and
 * the runtime, and neither the container nor the hung runtime is left. Uses a private daemon (needs
 * root), never the host's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DockerStartTimeoutTest {
    /** How long the fake runtime's start sleeps: for ever, as far as the test goes, and a number no one else uses. */
    private static final String HANG_SECONDS = "86317";

    private PrivateDockerDaemon daemon;

    @BeforeAll
    void startDaemon() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private dockerd and must run as root").isZero();
        Path root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-dockerd-");
        Path runtime = root.resolve("hang-runtime");
        Files.writeString(runtime, "#!/bin/sh\n"
                + "for argument in \"$@\"; do\n"
                + "  if [ \"$argument\" = start ]; then exec sleep " + HANG_SECONDS + "; fi\n"
                + "done\n"
                + "exec runc \"$@\"\n");
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = new PrivateDockerDaemon(root);
        daemon.addRuntime("hang", runtime);
        daemon.start();
        daemon.loadImageFromHost("cloudrun/bash:1");
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void aStartThatHangsEndsTheRunAsInternalErrorAndLeavesNothing() throws Exception {
        Duration startTimeout = Duration.ofSeconds(5);
        DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions()
                .dockerHost(daemon.dockerHost()).runtime("hang").startTimeout(startTimeout).maxConcurrentRuns(2));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
            long started = System.nanoTime();
            RunResult result = runner.run(RunRequest.of("bash", "echo never")
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(120))));

            assertThat(result.status()).as(result.toString()).isEqualTo(Status.INTERNAL_ERROR);
            assertThat(result.message()).contains("Docker daemon at " + daemon.dockerHost(), "did not start container",
                    "within 5 s", "runtime hang");
            assertThat(PrivateDockerDaemon.since(started)).as("ended by the start timeout, not the 120 s wall-clock limit")
                    .isLessThan(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> backend.leftovers().isEmpty());
            // The warm pool's build for the next run hangs alike, a little later, and is removed the same way.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(daemon.docker("ps", "-aq").output()).isBlank();
                assertThat(hungRuntimes()).as("the runtime's hung start").isEmpty();
            });
        }
        assertThat(backend.leftovers()).isEmpty();
    }

    private static List<String> hungRuntimes() {
        return ProcessHandle.allProcesses().map(process -> process.info().commandLine().orElse(""))
                .filter(line -> line.contains("sleep " + HANG_SECONDS)).toList();
    }
}
