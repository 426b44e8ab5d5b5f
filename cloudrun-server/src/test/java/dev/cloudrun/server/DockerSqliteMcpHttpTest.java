package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.internal.ProcessOwner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * {@link McpHttpKit} on the Docker backend (a container per run, a container per agent session), with
 * the default SQLite database. Needs a running daemon and the language images; without them it
 * fails rather than being skipped.
 */
class DockerSqliteMcpHttpTest extends McpHttpKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }

    @Override
    String backend() {
        return "docker";
    }

    /** No container of this JVM's backend is left once the servers stopped (the pool's ready ones included). */
    @Override
    void assertNothingLeftInTheBackend() {
        String owner = DockerSandboxBackend.LABEL_OWNER + "=" + ProcessOwner.label(ProcessHandle.current());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(docker("ps", "-a", "-q", "--filter", "label=" + owner)).as("containers left").isEmpty());
    }

    private static String docker(String... arguments) throws IOException, InterruptedException {
        String[] command = new String[arguments.length + 1];
        command[0] = "docker";
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }
}
