package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A host out of memory loses containers, not the server: every process of a Docker sandbox (seen
 * from inside and, by its host pid, from outside) has the highest OOM score, 1000.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerOomScoreTest {

    @Test
    void everyProcessOfARunningContainerHasTheHighestOomScore() throws Exception {
        DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            CountDownLatch started = new CountDownLatch(1);
            StringBuilder seen = new StringBuilder();
            try (Execution execution = runner.start(RunRequest.of("bash", "cat /proc/self/oom_score_adj; exec sleep 30"),
                    new RunListener() {
                        @Override
                        public void onText(StreamKind stream, String text) {
                            synchronized (seen) {
                                seen.append(text);
                            }
                            started.countDown();
                        }
                    })) {
                assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    synchronized (seen) {
                        return seen.toString().contains("\n");
                    }
                });
                assertThat(seen.toString().strip()).as("the score seen from inside the container").isEqualTo("1000");

                String[] hostPids = docker("ps", "-q", "--filter", "label=" + DockerSandboxBackend.LABEL_RUN + "=" + execution.id())
                        .lines().map(id -> docker("inspect", "-f", "{{.State.Pid}}", id).strip()).toArray(String[]::new);
                assertThat(hostPids).as("the step and the workspace keeper").isNotEmpty();
                for (String pid : hostPids) {
                    ProcessHandle init = ProcessHandle.of(Long.parseLong(pid)).orElseThrow();
                    assertThat(score(init.pid())).as("the container's init").isEqualTo(1000);
                    for (ProcessHandle child : init.descendants().toList()) {
                        assertThat(score(child.pid())).as(child.info().commandLine().orElse("")).isEqualTo(1000);
                    }
                }
                execution.cancel();
                assertThat(execution.await(Duration.ofSeconds(30)).orElseThrow().status()).isEqualTo(Status.CANCELLED);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> backend.leftovers().isEmpty());
        }
    }

    private static int score(long pid) throws java.io.IOException {
        return Integer.parseInt(Files.readString(Path.of("/proc/" + pid + "/oom_score_adj")).strip());
    }

    private static String docker(String... arguments) {
        try {
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("docker"));
            command.addAll(java.util.List.of(arguments));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as(output).isZero();
            return output;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
