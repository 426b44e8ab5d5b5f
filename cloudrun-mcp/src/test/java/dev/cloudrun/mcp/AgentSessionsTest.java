package dev.cloudrun.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sessions over real workspaces on the local backend: ownership, caps, closing. */
class AgentSessionsTest {
    private CodeRunner runner;
    private AgentSessions sessions;

    @BeforeEach
    void open() {
        runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL));
        sessions = new AgentSessions(runner, McpPolicy.defaults().withMaxSessions(2, 3));
    }

    @AfterEach
    void close() {
        sessions.close();
        runner.close();
    }

    @Test
    void aSessionIsReachableOnlyByTheClientThatMadeIt() {
        AgentSessions.Session mine = sessions.create("alice", "python", false);
        mine.workspace().write("secret.txt", "alice's".getBytes(StandardCharsets.UTF_8));
        assertThat(sessions.get("alice", mine.id()).workspace().read("secret.txt")).asString(StandardCharsets.UTF_8)
                .isEqualTo("alice's");
        assertThatThrownBy(() -> sessions.get("bob", mine.id())).isInstanceOf(ToolInputException.class)
                .hasMessageContaining("session_id").hasMessageContaining("is not a session of this client");
        assertThatThrownBy(() -> sessions.close("bob", mine.id())).isInstanceOf(ToolInputException.class);
        assertThat(mine.workspace().isOpen()).isTrue();
    }

    @Test
    void theCapsPerClientAndInAllHold() {
        sessions.create("alice", "bash", false);
        sessions.create("alice", "bash", false);
        assertThatThrownBy(() -> sessions.create("alice", "bash", false)).hasMessageContaining("the most allowed is 2");
        sessions.create("bob", "bash", false);
        assertThatThrownBy(() -> sessions.create("carol", "bash", false)).hasMessageContaining("the server has 3 open");
        assertThat(sessions.openCount()).isEqualTo(3);
    }

    @Test
    void aClientThatGoesTakesItsSessionsWithIt() {
        AgentSessions.Session first = sessions.create("alice", "bash", false);
        AgentSessions.Session other = sessions.create("bob", "bash", false);
        sessions.closeAll("alice");
        assertThat(first.workspace().isOpen()).isFalse();
        assertThat(other.workspace().isOpen()).isTrue();
        assertThat(sessions.of("alice")).isEmpty();
    }
}
