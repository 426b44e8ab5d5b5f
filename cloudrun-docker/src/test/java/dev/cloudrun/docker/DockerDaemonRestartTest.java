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
 * A daemon that dies mid-run: the run ends INTERNAL_ERROR with a message, the next run after the
 * daemon is back works, and nothing is left behind. Uses a private daemon (needs root), never the
 * host's.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DockerDaemonRestartTest {

    @Test
    void daemonRestartedMidRunEndsThatRunAsInternalErrorAndTheNextRunWorks() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid())
                .as("this test starts a private dockerd and must run as root").isZero();
        Path root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-dockerd-");
        try (PrivateDockerDaemon daemon = new PrivateDockerDaemon(root)) {
            daemon.start();
            daemon.loadImageFromHost("cloudrun/bash:1");
            DockerSandboxBackend backend = DockerSandboxBackend.create(
                    new DockerBackendOptions().dockerHost(daemon.dockerHost()).maxConcurrentRuns(2));
            try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
                CountDownLatch started = new CountDownLatch(1);
                RunResult broken;
                try (Execution execution = runner.start(RunRequest.of("bash", "echo started; sleep 60")
                        .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(60))), new RunListener() {
                            @Override
                            public void onText(StreamKind stream, String text) {
                                started.countDown();
                            }
                        })) {
                    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
                    daemon.crash();
                    broken = execution.await(Duration.ofSeconds(30)).orElseThrow();
                }

                assertThat(broken.status()).as(broken.toString()).isEqualTo(Status.INTERNAL_ERROR);
                assertThat(broken.message()).containsIgnoringCase("daemon");

                daemon.start();
                RunResult next = runner.run(RunRequest.of("bash", "echo back"));
                assertThat(next.status()).as(next.message()).isEqualTo(Status.OK);
                assertThat(next.stdout()).isEqualTo("back\n");

                LeakChecks.assertNothingLeftBehind(backend::leftovers);
                assertThat(DockerBackendTest.notPooled(backend, backend.client().listContainersCmd().withShowAll(true).exec()))
                        .as("containers but the warm pool's").isEmpty();
            }
            // Closing the backend removed the pool's ready sandboxes too.
            assertThat(daemon.docker("ps", "-aq").output()).isBlank();
            assertThat(daemon.docker("volume", "ls", "-q").output()).isBlank();
        }
    }
}
