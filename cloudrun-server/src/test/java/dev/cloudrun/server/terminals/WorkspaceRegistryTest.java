package dev.cloudrun.server.terminals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.WorkspaceSettings;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.DatabaseUrl;
import dev.cloudrun.server.db.ProjectRepository;
import dev.cloudrun.server.projects.ProjectService;
import dev.cloudrun.server.runs.ProjectWorkspaces;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's idle close on a real SQLite file and the local backend, with an idle timeout of a
 * second (the server's setting counts in minutes): the workspace closes by itself once its last
 * terminal has ended, what the shell wrote just before it ended is in the saved project, and no
 * sandbox process is left; a run in the workspace keeps it from idling, and what it wrote is saved when it ends.
 */
class WorkspaceRegistryTest {
    @TempDir
    Path directory;
    private Database database;
    private CodeRunner runner;
    private ProjectService projects;
    private WorkspaceRegistry registry;
    private final Principal owner = new Principal("user-1", "owner", false, Optional.empty());

    @BeforeEach
    void open() {
        database = Database.open(DatabaseUrl.parse("jdbc:sqlite:" + directory.resolve("cloudrun.db")));
        database.jdbi().useHandle(handle -> handle.createUpdate("INSERT INTO users (id, username, username_key, guest,"
                + " created_at) VALUES ('user-1', 'owner', 'owner', 0, 0)").execute());
        projects = new ProjectService(new ProjectRepository(database.jdbi()), Clock.systemUTC(), 2L << 20, 200, 16L << 20, 10);
        runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL));
        registry = new WorkspaceRegistry(runner, null, projects, new WorkspaceSettings(Duration.ofSeconds(1),
                Duration.ofHours(1), 2, 6, 256L << 20, 64, 64L << 20, false, Duration.ofSeconds(60)), 2L << 20,
                Clock.systemUTC());
    }

    @AfterEach
    void close() {
        registry.close();
        runner.close();
        database.close();
    }

    @Test
    void an_idle_workspace_closes_by_itself_and_its_files_stay_in_the_project() {
        String projectId = projects.create(owner, "p", "python", "main.py",
                Map.of("main.py", "print(1)\n".getBytes(StandardCharsets.UTF_8))).project().id();
        TerminalSession session = registry.openTerminal(owner, projectId, 80, 24);
        StringBuilder screen = new StringBuilder();
        int[] status = {-1};
        session.attach(new TerminalSession.Viewer() {
            @Override
            public void output(String text) {
                synchronized (screen) {
                    screen.append(text);
                }
            }

            @Override
            public void exited(int exitStatus) {
                status[0] = exitStatus;
            }

            @Override
            public void filesChanged(List<String> paths, Map<String, String> skipped) { }

            @Override
            public void replaced() { }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            synchronized (screen) {
                return screen.toString().endsWith("$ ");
            }
        });
        assertThat(registry.openWorkspaces()).isEqualTo(1);
        session.write("echo kept > kept.txt; exit 4\r".getBytes(StandardCharsets.UTF_8));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(registry.openWorkspaces()).isZero());
        assertThat(status[0]).isEqualTo(4);
        assertThat(new String(projects.readFile(owner, projectId, "kept.txt"), StandardCharsets.UTF_8)).isEqualTo("kept\n");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)).as("sandbox processes left").isEmpty());
    }

    @Test
    void a_run_in_the_workspace_keeps_it_busy_and_what_it_wrote_is_saved_when_it_ends() throws Exception {
        String projectId = projects.create(owner, "p", "python", "main.py",
                Map.of("main.py", "print(1)\n".getBytes(StandardCharsets.UTF_8))).project().id();
        TerminalSession session = registry.openTerminal(owner, projectId, 80, 24);
        StringBuilder screen = new StringBuilder();
        session.attach(new TerminalSession.Viewer() {
            @Override
            public void output(String text) {
                synchronized (screen) {
                    screen.append(text);
                }
            }

            @Override
            public void exited(int exitStatus) { }

            @Override
            public void filesChanged(List<String> paths, Map<String, String> skipped) { }

            @Override
            public void replaced() { }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            synchronized (screen) {
                return screen.toString().endsWith("$ ");
            }
        });
        ProjectWorkspaces.Lease lease = registry.lease(projectId).orElseThrow();
        assertThat(registry.lease("no-such-project")).isEmpty();
        // Longer than the idle timeout (1 s) and the poll (2 s) together, after the last terminal ended.
        Execution run = lease.workspace().start(RunRequest.of("python", "import time\ntime.sleep(5)\n"
                + "open('late.txt', 'w').write('done')\n").withMainFileName("slow.py"), RunListener.NONE);
        session.write("exit 0\r".getBytes(StandardCharsets.UTF_8));

        RunResult result = run.await();
        assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
        assertThat(registry.openWorkspaces()).as("not closed as idle while the run went on").isEqualTo(1);
        // slow.py was saved when the terminal ended; late.txt came after.
        assertThat(lease.ended()).contains("late.txt");
        assertThat(lease.ended()).isEmpty();
        assertThat(new String(projects.readFile(owner, projectId, "late.txt"), StandardCharsets.UTF_8)).isEqualTo("done");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(registry.openWorkspaces()).isZero());
    }
}
