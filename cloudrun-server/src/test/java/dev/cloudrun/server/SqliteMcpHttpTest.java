package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpSyncClient;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link McpHttpKit} on SQLite, the default database in each server's data dir. */
class SqliteMcpHttpTest extends McpHttpKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }

    /** Once, here: it takes 35 s and no database is involved. */
    @Test
    void a_run_silent_for_longer_than_jettys_idle_timeout_still_gets_its_answer() {
        McpSyncClient client = connect(server, runKey(), new ArrayList<>());
        // Jetty closes a connection idle for 30 s; a run may be silent for most of its 60 s.
        Map<String, Object> answer = structured(call(client, "run_code", Map.of("language", "python",
                "source", "import time\ntime.sleep(35)\nprint('awake')", "limits", Map.of("wall_time_seconds", 45))));
        assertThat(answer.get("status")).isEqualTo("OK");
        assertThat(answer.get("stdout")).isEqualTo("awake\n");
    }
}
