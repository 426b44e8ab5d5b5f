package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox host out of memory: a server started as root (as {@code ./cloudrun serve} starts it)
 * lowers its own OOM score below zero (when it has CAP_SYS_RESOURCE; without it, it says so), while its sandboxes score 1000 (SandboxOomScoreTest,
 * DockerOomScoreTest), so the kernel's OOM killer picks sandboxes, never the server.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ServerOomScoreTest {

    @Test
    void a_root_server_lowers_its_own_oom_score(@TempDir Path dataDir) throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("only root may lower an OOM score").isZero();
        try (ChildServer server = ChildServer.start(dataDir, "local", Map.of())) {
            int score = Integer.parseInt(Files.readString(Path.of("/proc/" + server.pid() + "/oom_score_adj")).strip());
            if (OomScore.hasSysResource()) {
                assertThat(score).as(server.output()).isEqualTo(OomScore.SERVER_OOM_SCORE_ADJ).isNegative();
            } else {
                // Root without CAP_SYS_RESOURCE (some containers and sandboxes): the score cannot go down; the
                // server says so and starts anyway, and still scores below every sandbox (1000).
                int own = Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).strip());
                assertThat(score).isEqualTo(own).isLessThan(1000);
                assertThat(server.output()).contains("lowering it needs CAP_SYS_RESOURCE");
            }
            assertThat(server.api().get("/api/health", null).status()).isEqualTo(200);
        }
    }
}
