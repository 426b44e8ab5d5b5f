package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /ws/terminal/{projectId}} on a real server, driven by the JDK's WebSocket client: real
 * shells in real workspaces, the project's files through the REST API. Written once and run against
 * each database, on the local backend, and on the Docker backend (see the subclasses).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TerminalTestKit {
    static final Duration WAIT = Duration.ofSeconds(20);
    /** What a shell prompt ends with, for user 1000. */
    static final Pattern PROMPT = Pattern.compile("\\$ $");
    static final int MAX_TERMINALS = 3;
    /** Bash switches bracketed paste on and off around each command line; the screen here leaves that out. */
    static final Pattern BRACKETED_PASTE = Pattern.compile("\u001b\\[\\?2004[hl]\r?");

    CloudRunServer server;
    ApiClient api;
    String terminalUrl;
    String runUrl;

    /** @return the settings that choose this kit's database */
    abstract Map<String, String> databaseSettings();

    /** @return the sandbox backend ({@code CLOUDRUN_BACKEND}); local unless a subclass says otherwise */
    String backend() {
        return "local";
    }

    @BeforeAll
    void startServer(@TempDir Path dataDir) {
        Map<String, String> settings = new HashMap<>(databaseSettings());
        settings.put("CLOUDRUN_PORT", "0");
        settings.put("CLOUDRUN_DATA_DIR", dataDir.toString());
        settings.put("CLOUDRUN_BACKEND", backend());
        settings.put("CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000");
        settings.put("CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "1000");
        settings.put("CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000");
        settings.put("CLOUDRUN_MAX_TERMINALS_PER_USER", String.valueOf(MAX_TERMINALS));
        settings.put("CLOUDRUN_MAX_WORKSPACES_PER_USER", "1");
        server = CloudRunServer.create(ServerConfig.of(settings)).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
        terminalUrl = "ws://127.0.0.1:" + server.port() + "/ws/terminal/";
        runUrl = "ws://127.0.0.1:" + server.port() + "/ws/run?token=";
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
        ServerTestKit.assertNoSandboxProcessesLeft();
        assertNothingLeftInTheBackend();
    }

    /** A backend's own leak check after the server stopped (the local backend's processes are checked above). */
    void assertNothingLeftInTheBackend() {
    }

    // ---- helpers ----

    String guest() {
        ApiClient.Response response = api.post("/api/auth/guest", null, Map.of());
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    String project(String token, Map<String, String> files) {
        ApiClient.Response response = api.post("/api/projects", token, Map.of("name", "p" + UUID.randomUUID().toString()
                .substring(0, 8), "language", "python", "files", files, "entry", "main.py"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("id").asText();
    }

    /** A socket with a terminal on it, and what it has said so far. */
    final class Shell implements AutoCloseable {
        final WsSession socket;
        final StringBuilder screen = new StringBuilder();
        final List<JsonNode> others = new ArrayList<>();
        String terminalId;

        Shell(String projectId, String token) {
            socket = WsSession.open(terminalUrl + projectId + "?token=" + token);
            assertThat(socket.next(WAIT).path("type").asText()).isEqualTo("authenticated");
        }

        Shell open(int columns, int rows) {
            socket.send(Map.of("type", "open", "cols", columns, "rows", rows));
            JsonNode opened = message("opened");
            terminalId = opened.path("terminalId").asText();
            return this;
        }

        void type(String keys) {
            socket.send(Map.of("type", "input", "data", keys));
        }

        /** Reads until the screen so far matches; returns the match's first group, or the whole match. */
        String waitFor(Pattern pattern) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                Matcher matcher = pattern.matcher(screen);
                if (matcher.find()) {
                    return matcher.groupCount() > 0 ? matcher.group(1) : matcher.group();
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + pattern + " on the screen: " + screen + "; other messages: " + others);
                }
                take();
            }
        }

        /** Waits for a message of a type (other than output). */
        JsonNode message(String type) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                for (JsonNode seen : others) {
                    if (seen.path("type").asText().equals(type)) {
                        others.remove(seen);
                        return seen;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no " + type + " message; saw " + others + "; screen: " + screen);
                }
                take();
            }
        }

        private void take() {
            JsonNode next;
            try {
                next = socket.next(WAIT);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; screen: " + screen + "; other messages: " + others);
            }
            if (next.path("type").asText().equals("output")) {
                screen.append(next.path("data").asText());
                String cleaned = BRACKETED_PASTE.matcher(screen).replaceAll("");
                screen.setLength(0);
                screen.append(cleaned);
            } else {
                others.add(next);
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /**
     * @return how many processes that the workspaces run have this in their command line: the local
     *     backend's are this JVM's descendants
     */
    long liveProcesses(String commandLinePart) {
        return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains(commandLinePart)).count();
    }

    // ---- a normal terminal ----

    @Test
    void a_shell_shows_its_prompt_answers_and_follows_resize() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print('hi')\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("echo $((6*7))\r");
            shell.waitFor(Pattern.compile("\r\n42\r\n"));
            shell.type("stty size\r");
            shell.waitFor(Pattern.compile("\r\n24 80\r\n"));
            shell.socket.send(Map.of("type", "resize", "cols", 132, "rows", 40));
            shell.type("stty size\r");
            shell.waitFor(Pattern.compile("\r\n40 132\r\n"));
            shell.type("python3 main.py\r");
            shell.waitFor(Pattern.compile("\r\nhi\r\n"));
        }
    }

    /**
     * Keys sent the moment a terminal is asked for ({@code input} right behind {@code open}, before
     * {@code opened} comes back, one key per message), and again right at the first prompt, all reach
     * the shell, whose answer and single echo of the line show it, 20 times over.
     */
    @Test
    void keys_sent_right_behind_open_all_reach_the_shell_and_are_echoed_once() {
        String token = guest();
        String projectId = project(token, Map.of());
        for (int round = 1; round <= 20; round++) {
            boolean atPrompt = round % 2 == 0;
            String word = "k" + round + "abcdefghijklmnopqrstuvwxyz";
            try (Shell shell = new Shell(projectId, token)) {
                shell.socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
                if (atPrompt) {
                    shell.message("opened");
                    shell.waitFor(PROMPT);
                }
                for (char key : ("echo " + word + "-$((6*7))\r").toCharArray()) {
                    shell.type(String.valueOf(key));
                }
                shell.waitFor(Pattern.compile("\r\n" + word + "-42\r\n"));
                assertThat(shell.screen.toString().split(Pattern.quote("echo " + word), -1)).as("the line echoed once, round %d: %s",
                        round, shell.screen).hasSize(2);
                assertThat(shell.others).noneMatch(message -> message.path("type").asText().equals("error"));
                shell.socket.send(Map.of("type", "close"));
                shell.message("exit");
            }
        }
    }

    @Test
    void exit_ends_the_terminal_with_its_status() {
        String token = guest();
        String projectId = project(token, Map.of());
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("exit 3\r");
            assertThat(shell.message("exit").path("status").asInt()).isEqualTo(3);
            assertThat(shell.socket.awaitClose(WAIT)).isEqualTo(1000);
        }
    }

    // ---- files both ways ----

    @Test
    void a_file_made_in_the_shell_reaches_the_project_and_is_announced() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print(1)\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("ls; echo hi > made-in-shell.txt; echo made\r");
            shell.waitFor(Pattern.compile("main\\.py[\\s\\S]*\r\nmade\r\n"));
            JsonNode changed = shell.message("files_changed");
            assertThat(changed.path("paths").toString()).contains("made-in-shell.txt");
            ApiClient.Response file = api.get("/api/projects/" + projectId + "/files/made-in-shell.txt", token);
            assertThat(file.status()).isEqualTo(200);
            assertThat(file.text()).isEqualTo("hi\n");

            shell.type("rm made-in-shell.txt; echo removed\r");
            shell.waitFor(Pattern.compile("\r\nremoved\r\n"));
            assertThat(shell.message("files_changed").path("paths").toString()).contains("made-in-shell.txt");
            assertThat(api.get("/api/projects/" + projectId + "/files/made-in-shell.txt", token).status()).isEqualTo(404);
        }
    }

    @Test
    void a_file_saved_in_the_editor_is_what_the_shell_reads() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print(1)\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            ApiClient.Response saved = api.put("/api/projects/" + projectId + "/files/notes/saved.txt", token,
                    "from the editor".getBytes(StandardCharsets.UTF_8));
            assertThat(saved.status()).as(saved.text()).isEqualTo(200);
            shell.type("cat notes/saved.txt; echo\r");
            shell.waitFor(Pattern.compile("\r\nfrom the editor\r\n"));

            assertThat(api.post("/api/projects/" + projectId + "/move", token, Map.of("from", "notes/saved.txt",
                    "to", "moved.txt")).status()).isEqualTo(200);
            shell.type("cat moved.txt; echo; ls notes | wc -l\r");
            shell.waitFor(Pattern.compile("\r\nfrom the editor\r\n0\r\n"));
            assertThat(api.delete("/api/projects/" + projectId + "/files/moved.txt", token).status()).isEqualTo(200);
            shell.type("test -e moved.txt || echo gone-$((1+1))\r");
            shell.waitFor(Pattern.compile("\r\ngone-2\r\n"));
            // The editor's own changes are not announced back as the shell's.
            shell.type("sleep 3; echo waited\r");
            shell.waitFor(Pattern.compile("\r\nwaited\r\n"));
            assertThat(shell.others).noneMatch(message -> message.path("type").asText().equals("files_changed"));
        }
    }

    @Test
    void a_file_above_the_project_file_limit_stays_in_the_workspace_and_is_reported() {
        String token = guest();
        String projectId = project(token, Map.of());
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            // The default project file limit is 2 MiB.
            shell.type("head -c 3000000 /dev/zero > big.bin; echo small > small.txt; echo written\r");
            shell.waitFor(Pattern.compile("\r\nwritten\r\n"));
            JsonNode changed = shell.message("files_changed");
            assertThat(changed.path("paths").toString()).contains("small.txt").doesNotContain("big.bin");
            assertThat(changed.path("skipped").path("big.bin").asText()).contains("3000000 bytes", "workspace only");
            assertThat(api.get("/api/projects/" + projectId + "/files/big.bin", token).status()).isEqualTo(404);
        }
    }

    @Test
    void a_run_of_the_project_sees_a_file_the_shell_made_a_moment_ago() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print(1)\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("echo 'print(6 * 7)' > fresh.py; echo made\r");
            shell.waitFor(Pattern.compile("\r\nmade\r\n"));
            ApiClient.Response run = api.post("/api/runs", token, Map.of("projectId", projectId, "entry", "fresh.py"));
            assertThat(run.status()).as(run.text()).isEqualTo(200);
            assertThat(run.json().path("stdout").asText()).isEqualTo("42\n");
        }
    }

    // ---- runs in the workspace ----

    /** Opens a run socket, authenticated. */
    WsSession runSocket(String token) {
        WsSession socket = WsSession.open(runUrl + token);
        assertThat(socket.next(WAIT).path("type").asText()).isEqualTo("authenticated");
        return socket;
    }

    static String joined(List<JsonNode> messages, String type) {
        StringBuilder text = new StringBuilder();
        messages.stream().filter(message -> message.path("type").asText().equals(type))
                .forEach(message -> text.append(message.path("data").asText()));
        return text.toString();
    }

    @Test
    void a_run_of_the_project_runs_in_its_workspace_and_what_it_writes_comes_back() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print(1)\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24);
             WsSession runs = runSocket(token)) {
            shell.waitFor(PROMPT);
            shell.type("echo 'print(open(\"made.txt\").read())' > r.py; echo hello > made.txt; echo made-$((1+1))\r");
            shell.waitFor(Pattern.compile("\r\nmade-2\r\n"));
            // At once: no poll has copied r.py or made.txt into the saved project yet.
            runs.send(Map.of("type", "start", "projectId", projectId, "entry", "r.py"));
            List<JsonNode> first = runs.untilType("finished", WAIT);
            JsonNode finished = first.get(first.size() - 1);
            assertThat(finished.path("status").asText()).as(first.toString()).isEqualTo("OK");
            assertThat(joined(first, "stdout")).isEqualTo("hello\n\n");
            assertThat(finished.path("inWorkspace").asBoolean()).isTrue();

            shell.type("printf 'open(\"out.txt\", \"w\").write(\"from the run\\\\n\")\\n' > w.py; echo written-$((2+2))\r");
            shell.waitFor(Pattern.compile("\r\nwritten-4\r\n"));
            runs.send(Map.of("type", "start", "projectId", projectId, "entry", "w.py"));
            List<JsonNode> second = runs.untilType("finished", WAIT);
            JsonNode wrote = second.get(second.size() - 1);
            assertThat(wrote.path("status").asText()).as(second.toString()).isEqualTo("OK");
            // Saved into the project before 'finished' was sent.
            assertThat(wrote.path("filesChanged").toString()).contains("out.txt");
            ApiClient.Response saved = api.get("/api/projects/" + projectId + "/files/out.txt", token);
            assertThat(saved.status()).isEqualTo(200);
            assertThat(saved.text()).isEqualTo("from the run\n");
            shell.type("cat out.txt\r");
            shell.waitFor(Pattern.compile("\r\nfrom the run\r\n"));
            // The terminals hear of it as of a shell's change.
            JsonNode announced = shell.message("files_changed");
            while (!announced.path("paths").toString().contains("out.txt")) {
                announced = shell.message("files_changed");
            }

            // The history has both runs, as for any run of the project; the other one ran in a sandbox of its own.
            ApiClient.Response history = api.get("/api/runs?projectId=" + projectId, token);
            assertThat(history.json().path("runs")).hasSize(2);
            assertThat(history.json().path("runs").toString()).contains("w.py", "r.py").doesNotContain("RUNNING");
        }
    }

    @Test
    void an_interactive_run_in_the_workspace_takes_stdin_and_stop_cancels_it_not_the_shell() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "print(1)\n"));
        try (Shell shell = new Shell(projectId, token).open(80, 24);
             WsSession runs = runSocket(token)) {
            shell.waitFor(PROMPT);
            shell.type("printf 'while True:\\n    print(\"got \" + input(), flush=True)\\n' > echo.py; echo ok-$((3+4))\r");
            shell.waitFor(Pattern.compile("\r\nok-7\r\n"));
            runs.send(Map.of("type", "start", "projectId", projectId, "entry", "echo.py"));
            assertThat(runs.next(WAIT).path("type").asText()).isEqualTo("accepted");
            runs.send(Map.of("type", "stdin", "data", "ping\n"));
            runs.awaitStdout("got ping", WAIT);
            runs.send(Map.of("type", "stop"));
            List<JsonNode> rest = runs.untilType("finished", WAIT);
            JsonNode finished = rest.get(rest.size() - 1);
            assertThat(finished.path("status").asText()).isEqualTo("CANCELLED");
            assertThat(finished.path("inWorkspace").asBoolean()).isTrue();

            shell.type("echo alive-$((3*3))\r");
            shell.waitFor(Pattern.compile("\r\nalive-9\r\n"));

            // Packages are not auto-installed into a workspace: refused, naming the field.
            runs.send(Map.of("type", "start", "projectId", projectId, "entry", "echo.py", "autoInstall", true));
            JsonNode refused = runs.untilType("error", WAIT).get(0);
            assertThat(refused.path("code").asText()).isEqualTo("workspace_open");
            assertThat(refused.path("field").asText()).isEqualTo("autoInstall");
        }
    }

    @Test
    void a_run_of_a_project_without_an_open_workspace_runs_the_saved_files_in_a_sandbox_of_its_own() {
        String token = guest();
        String projectId = project(token, Map.of("main.py", "open('out.txt', 'w').write('x')\nprint('saved')\n"));
        ApiClient.Response run = api.post("/api/runs", token, Map.of("projectId", projectId));
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        assertThat(run.json().path("stdout").asText()).isEqualTo("saved\n");
        assertThat(run.json().path("inWorkspace").asBoolean()).isFalse();
        assertThat(api.get("/api/projects/" + projectId + "/files/out.txt", token).status()).isEqualTo(404);
    }

    @Test
    void deleting_the_project_ends_its_terminals() {
        String token = guest();
        String projectId = project(token, Map.of());
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            assertThat(api.delete("/api/projects/" + projectId, token).status()).isEqualTo(204);
            shell.message("exit");
            assertThat(shell.socket.awaitClose(WAIT)).isEqualTo(1000);
        }
    }

    // ---- who may open what ----

    @Test
    void another_users_project_is_not_found_and_no_token_is_4401() {
        String owner = guest();
        String projectId = project(owner, Map.of());
        String stranger = guest();
        try (WsSession socket = WsSession.open(terminalUrl + projectId + "?token=" + stranger)) {
            assertThat(socket.next(WAIT).path("type").asText()).isEqualTo("authenticated");
            JsonNode error = socket.next(WAIT);
            assertThat(error.path("code").asText()).isEqualTo("not_found");
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4404);
        }
        try (WsSession socket = WsSession.open(terminalUrl + "no-such-project?token=" + owner)) {
            socket.next(WAIT);
            assertThat(socket.next(WAIT).path("code").asText()).isEqualTo("not_found");
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4404);
        }
        try (WsSession socket = WsSession.open(terminalUrl + projectId)) {
            socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
            assertThat(socket.next(WAIT).path("code").asText()).isEqualTo("unauthorized");
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4401);
        }
        try (WsSession socket = WsSession.open(terminalUrl + projectId + "?token=forged")) {
            assertThat(socket.next(WAIT).path("code").asText()).isEqualTo("unauthorized");
            assertThat(socket.awaitClose(WAIT)).isEqualTo(4401);
        }
    }

    @Test
    void terminals_and_workspaces_per_user_are_capped_and_bad_sizes_name_the_field() {
        String token = guest();
        String projectId = project(token, Map.of());
        List<Shell> shells = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_TERMINALS; i++) {
                shells.add(new Shell(projectId, token).open(80, 24));
            }
            try (Shell extra = new Shell(projectId, token)) {
                extra.socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
                assertThat(extra.message("error").path("code").asText()).isEqualTo("too_many_terminals");
                extra.socket.send(Map.of("type", "open", "cols", 0, "rows", 24));
                JsonNode bad = extra.message("error");
                assertThat(bad.path("code").asText()).isEqualTo("invalid_request");
                assertThat(bad.path("field").asText()).isEqualTo("cols");
                extra.socket.send(Map.of("type", "input", "data", "ls\r"));
                assertThat(extra.message("error").path("code").asText()).isEqualTo("no_terminal");
            }
            Shell typist = shells.get(0);
            typist.waitFor(PROMPT);
            typist.type("#".repeat(300 * 1024));
            assertThat(typist.message("error").path("code").asText()).isEqualTo("input_rate");
            typist.type("echo still-$((2*4))\r");
            typist.waitFor(Pattern.compile("\r\nstill-8\r\n"));
            String second = project(token, Map.of());
            Shell first = shells.remove(0);
            first.socket.send(Map.of("type", "close"));
            first.message("exit");
            first.close();
            try (Shell other = new Shell(second, token)) {
                other.socket.send(Map.of("type", "open", "cols", 80, "rows", 24));
                assertThat(other.message("error").path("code").asText()).isEqualTo("too_many_workspaces");
            }
        } finally {
            shells.forEach(Shell::close);
        }
    }

    // ---- dropped sockets, hang-ups, floods ----

    @Test
    void a_dropped_socket_can_reattach_and_finds_its_shell_and_its_output() {
        String token = guest();
        String projectId = project(token, Map.of());
        String pid;
        String terminalId;
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("echo pid=$$\r");
            pid = shell.waitFor(Pattern.compile("\r\npid=(\\d+)\r\n"));
            terminalId = shell.terminalId;
        }
        try (Shell again = new Shell(projectId, token)) {
            again.socket.send(Map.of("type", "open", "terminalId", terminalId, "cols", 100, "rows", 30));
            JsonNode opened = again.message("opened");
            assertThat(opened.path("reattached").asBoolean()).isTrue();
            assertThat(opened.path("terminalId").asText()).isEqualTo(terminalId);
            again.waitFor(Pattern.compile("pid=" + pid + "\r\n"));
            again.type("echo again=$$; stty size\r");
            again.waitFor(Pattern.compile("\r\nagain=" + pid + "\r\n30 100\r\n"));
        }
        String stranger = guest();
        String strangersProject = project(stranger, Map.of());
        try (Shell thief = new Shell(strangersProject, stranger)) {
            thief.socket.send(Map.of("type", "open", "terminalId", terminalId, "cols", 80, "rows", 24));
            assertThat(thief.message("error").path("code").asText()).isEqualTo("not_found");
        }
    }

    @Test
    void closing_the_terminal_leaves_no_process_even_one_that_ignores_sighup() {
        String token = guest();
        String projectId = project(token, Map.of());
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            shell.type("(trap '' HUP; exec sleep 9871) & echo started\r");
            shell.waitFor(Pattern.compile("\r\nstarted\r\n"));
            await().atMost(WAIT).until(() -> liveProcesses("sleep 9871") > 0);
            shell.socket.send(Map.of("type", "close"));
            shell.message("exit");
            assertThat(shell.socket.awaitClose(WAIT)).isEqualTo(1000);
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(liveProcesses("sleep 9871")).isZero());
    }

    @Test
    void a_flood_of_output_to_a_client_that_does_not_read_drops_the_socket_not_the_server() {
        String token = guest();
        String projectId = project(token, Map.of());
        String terminalId;
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            terminalId = shell.terminalId;
            shell.socket.pause();
            shell.type("yes 'a line of flood output to fill every buffer there is'\r");
            // Long enough for the flood to fill the kernel's socket buffers (several MiB on loopback) and then
            // the server's bound, on a loaded machine too.
            long pausedSince = System.nanoTime();
            try {
                while (!shell.socket.isClosed() && System.nanoTime() - pausedSince < TimeUnit.SECONDS.toNanos(20)) {
                    Thread.sleep(500);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            System.out.printf("flood: paused for %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pausedSince));
            // The server stopped waiting for this client: once it reads what was sent before, the connection has
            // ended, although nobody closed it here (without the bound, the flood would go on forever).
            shell.socket.resume();
            assertThat(shell.socket.awaitClose(Duration.ofSeconds(60))).isNotEqualTo(1000);
        }
        try (Shell again = new Shell(projectId, token)) {
            again.socket.send(Map.of("type", "open", "terminalId", terminalId, "cols", 80, "rows", 24));
            assertThat(again.message("opened").path("reattached").asBoolean()).isTrue();
            again.type("\u0003");
            again.type("echo calm-$((6*7))\r");
            again.waitFor(Pattern.compile("\r\ncalm-42\r\n"));
        }
    }

    @Test
    void escape_sequences_from_the_program_pass_as_they_are() {
        String token = guest();
        String projectId = project(token, Map.of());
        try (Shell shell = new Shell(projectId, token).open(80, 24)) {
            shell.waitFor(PROMPT);
            // OSC 52 (a clipboard write) and DECRQSS: the terminal emulator decides, the server passes bytes on.
            shell.type("printf '\\033]52;c;aGk=\\007\\033P$qm\\033\\\\done\\n'\r");
            shell.waitFor(Pattern.compile(Pattern.quote("\u001b]52;c;aGk=\u0007\u001bP$qm\u001b\\done")));
        }
    }
}
