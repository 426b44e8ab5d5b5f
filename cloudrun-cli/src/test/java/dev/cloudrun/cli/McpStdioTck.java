package dev.cloudrun.cli;

import static dev.cloudrun.cli.McpTestServer.structured;
import static dev.cloudrun.cli.McpTestServer.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code cloudrun mcp} over stdio, driven by the MCP Java SDK's own client as an agent client would
 * drive it; every backend runs the same tests ({@link McpStdioLocalTest}, {@link McpStdioDockerTest}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class McpStdioTck {
    private static final String PNG_PROGRAM = String.join("\n",
            "import os, struct, zlib",
            "def chunk(kind, data):",
            "    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)",
            "png = (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0))",
            "       + chunk(b'IDAT', zlib.compress(b'\\x00\\xff\\x00\\x00')) + chunk(b'IEND', b''))",
            "os.makedirs('out', exist_ok=True)",
            "open('out/dot.png', 'wb').write(png)",
            "open('out/notes.txt', 'w').write('not an image')",
            "print(len(png))",
            "");

    private McpTestServer server;

    /** @return the --backend value */
    abstract String backend();

    @BeforeAll
    void start() {
        server = new McpTestServer(backend());
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void listsTheToolsWithTheirLimitsInTheSchema() {
        List<McpSchema.Tool> tools = server.client.listTools().tools();
        assertThat(tools).extracting(McpSchema.Tool::name).containsExactlyInAnyOrder("run_code", "list_languages",
                "create_session", "write_file", "read_file", "list_files", "run_in_session", "install_packages",
                "close_session");
        McpSchema.Tool runCode = tools.stream().filter(t -> t.name().equals("run_code")).findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Object> source = (Map<String, Object>) ((Map<String, Object>) runCode.inputSchema().get("properties"))
                .get("source");
        assertThat(source).containsEntry("maxLength", 262144);
        assertThat(runCode.inputSchema().get("required")).isEqualTo(List.of("language", "source"));
    }

    @Test
    void runCodeRunsPythonAndReturnsItsOutput() {
        McpSchema.CallToolResult result = server.call("run_code", Map.of("language", "python",
                "source", "import sys\nprint('hello from the sandbox')\nprint(sys.stdin.read().upper(), file=sys.stderr)",
                "stdin", "quiet"));
        Map<String, Object> answer = structured(result);
        assertThat(answer).containsEntry("status", "OK").containsEntry("exit_code", 0)
                .containsEntry("stdout", "hello from the sandbox\n").containsEntry("stderr", "QUIET\n");
        assertThat(((Number) answer.get("memory_bytes")).longValue()).isPositive();
        assertThat(text(result)).contains("\"stdout\":\"hello from the sandbox\\n\"");
    }

    @Test
    void aTimeLimitEndsTheRunWithTimeLimit() {
        Map<String, Object> answer = structured(server.call("run_code", Map.of("language", "python",
                "source", "while True:\n    pass\n", "limits", Map.of("wall_time_seconds", 1, "cpu_time_seconds", 1))));
        assertThat(answer).containsEntry("status", "TIME_LIMIT");
    }

    @Test
    void aPngWrittenToOutComesBackAsImageContent() {
        McpSchema.CallToolResult result = server.call("run_code", Map.of("language", "python", "source", PNG_PROGRAM));
        Map<String, Object> answer = structured(result);
        assertThat(answer.get("output_files")).isEqualTo(List.of("out/dot.png", "out/notes.txt"));
        List<McpSchema.ImageContent> images = result.content().stream().filter(McpSchema.ImageContent.class::isInstance)
                .map(McpSchema.ImageContent.class::cast).toList();
        assertThat(images).hasSize(1);
        assertThat(images.get(0).mimeType()).isEqualTo("image/png");
        byte[] png = Base64.getDecoder().decode(images.get(0).data());
        assertThat(png).hasSize(Integer.parseInt(answer.get("stdout").toString().strip()));
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    @Test
    void aSessionKeepsItsFilesBetweenCalls() {
        String session = (String) structured(server.call("create_session", Map.of("language", "python",
                "files", Map.of("data/numbers.txt", "1 2 3")))).get("session_id");
        try {
            assertThat(structured(server.call("write_file", Map.of("session_id", session, "path", "data/more.txt",
                    "content", Map.of("base64", Base64.getEncoder().encodeToString("4 5".getBytes()))))))
                    .containsEntry("bytes", 3);
            Map<String, Object> run = structured(server.call("run_in_session", Map.of("session_id", session,
                    "source", "nums = open('data/numbers.txt').read().split() + open('data/more.txt').read().split()\n"
                            + "open('sum.txt', 'w').write(str(sum(map(int, nums))))\nprint('summed', len(nums))\n")));
            assertThat(run).containsEntry("status", "OK").containsEntry("stdout", "summed 5\n");
            assertThat(structured(server.call("read_file", Map.of("session_id", session, "path", "sum.txt"))))
                    .containsEntry("text", "15");
            // A second run sees what the first left, through a file of the session run by name.
            server.call("write_file", Map.of("session_id", session, "path", "again.py",
                    "content", "print(open('sum.txt').read() + '!')"));
            assertThat(structured(server.call("run_in_session", Map.of("session_id", session, "main_file", "again.py"))))
                    .containsEntry("stdout", "15!\n");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> files = (List<Map<String, Object>>) structured(server.call("list_files",
                    Map.of("session_id", session))).get("files");
            assertThat(files).extracting(f -> f.get("path")).contains("data", "data/numbers.txt", "data/more.txt",
                    "sum.txt", "again.py");
            McpSchema.ReadResourceResult resource = server.client.readResource(new McpSchema.ReadResourceRequest(
                    "cloudrun://sessions/" + session + "/files/data%2Fnumbers.txt"));
            assertThat(((McpSchema.TextResourceContents) resource.contents().get(0)).text()).isEqualTo("1 2 3");
        } finally {
            assertThat(structured(server.call("close_session", Map.of("session_id", session))))
                    .containsEntry("closed", true);
        }
        McpSchema.CallToolResult afterClose = server.call("read_file", Map.of("session_id", session, "path", "sum.txt"));
        assertThat(afterClose.isError()).isTrue();
        assertThat(text(afterClose)).contains("session_id", "is not a session of this client");
    }

    @Test
    void progressNotificationsCarryTheOutputWhileTheRunGoesOn() {
        Map<String, Object> answer = structured(server.call("run_code", Map.of("language", "python",
                "source", "import time\nfor i in range(3):\n    print('tick', i, flush=True)\n    time.sleep(0.3)\n"),
                "progress-ticks"));
        assertThat(answer).containsEntry("status", "OK");
        // The client may hand notifications to its consumer out of order; their progress values give the order.
        List<McpSchema.ProgressNotification> mine = server.progress.stream()
                .filter(p -> p.progressToken().equals("progress-ticks"))
                .sorted(java.util.Comparator.comparingDouble(McpSchema.ProgressNotification::progress)).toList();
        assertThat(mine).extracting(McpSchema.ProgressNotification::progress).doesNotHaveDuplicates();
        assertThat(String.join("", mine.stream().map(McpSchema.ProgressNotification::message).toList()))
                .contains("running", "tick 0\n", "tick 1\n", "tick 2\n");
    }

    @Test
    void cancellingTheCallStopsTheRun() throws Exception {
        CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> server.call("run_code",
                Map.of("language", "python", "source", "import time\nprint('started', flush=True)\ntime.sleep(50)\n",
                        "limits", Map.of("wall_time_seconds", 55, "cpu_time_seconds", 5)), "to-cancel"));
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progressText("to-cancel").contains("started"));
        server.cancel(server.requestIdOf("to-cancel"));
        Map<String, Object> answer = structured(call.get(30, TimeUnit.SECONDS));
        assertThat(answer).containsEntry("status", "CANCELLED");
    }

    @Test
    void cancellingARunInASessionStopsIt() throws Exception {
        String session = (String) structured(server.call("create_session", Map.of("language", "python")))
                .get("session_id");
        try {
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> server.call(
                    "run_in_session", Map.of("session_id", session, "source",
                            "import time\nprint('started', flush=True)\ntime.sleep(50)\n",
                            "limits", Map.of("wall_time_seconds", 55, "cpu_time_seconds", 5)), "session-cancel"));
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> progressText("session-cancel").contains("started"));
            server.cancel(server.requestIdOf("session-cancel"));
            assertThat(structured(call.get(30, TimeUnit.SECONDS))).containsEntry("status", "CANCELLED");
            // The session is still usable afterwards.
            assertThat(structured(server.call("run_in_session", Map.of("session_id", session, "source", "print(1)"))))
                    .containsEntry("stdout", "1\n");
        } finally {
            server.call("close_session", Map.of("session_id", session));
        }
    }

    @Test
    void statefulRunsInASessionShareOnePythonInterpreter() {
        String session = (String) structured(server.call("create_session", Map.of("language", "python",
                "files", Map.of("data.txt", "41")))).get("session_id");
        try {
            assertThat(cell(session, "import math\nx = int(open('data.txt').read())\n")).containsEntry("status", "OK")
                    .containsEntry("restarted", false).doesNotContainKey("value");
            assertThat(cell(session, "print(x + 1)\nmath.pi > 3")).containsEntry("status", "OK")
                    .containsEntry("stdout", "42\n").containsEntry("value", "True");
            // An exception reports its traceback; the state stays.
            Map<String, Object> failed = cell(session, "1 / 0");
            assertThat(failed).containsEntry("status", "RUNTIME_ERROR").containsEntry("error", "ZeroDivisionError")
                    .containsEntry("interpreter_ended", false);
            assertThat((String) failed.get("stderr")).contains("Traceback", "ZeroDivisionError");
            assertThat(cell(session, "x")).containsEntry("value", "41");
            // A run without stateful is a program of its own: it does not see the interpreter's variables.
            assertThat(structured(server.call("run_in_session", Map.of("session_id", session,
                    "source", "print('x' in dir())")))).containsEntry("stdout", "False\n");
            // Past its time limit the cell ends the interpreter; the next one starts afresh.
            Map<String, Object> slow = structured(server.call("run_in_session", Map.of("session_id", session,
                    "stateful", true, "source", "import time\ntime.sleep(30)", "limits", Map.of("wall_time_seconds", 1))));
            assertThat(slow).containsEntry("status", "TIME_LIMIT").containsEntry("interpreter_ended", true);
            assertThat(cell(session, "print('x' in dir())")).containsEntry("status", "OK")
                    .containsEntry("stdout", "False\n").containsEntry("restarted", true);
        } finally {
            server.call("close_session", Map.of("session_id", session));
        }
    }

    @Test
    void cancellingAStatefulCellEndsItsInterpreterAndTheNextCallStartsAfresh() throws Exception {
        String session = (String) structured(server.call("create_session", Map.of("language", "python")))
                .get("session_id");
        try {
            assertThat(cell(session, "y = 7")).containsEntry("status", "OK");
            CompletableFuture<McpSchema.CallToolResult> call = CompletableFuture.supplyAsync(() -> server.call(
                    "run_in_session", Map.of("session_id", session, "stateful", true, "source",
                            "import time\nprint('started', flush=True)\ntime.sleep(50)\n",
                            "limits", Map.of("wall_time_seconds", 55, "cpu_time_seconds", 5)), "cell-cancel"));
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> progressText("cell-cancel").contains("started"));
            server.cancel(server.requestIdOf("cell-cancel"));
            assertThat(structured(call.get(30, TimeUnit.SECONDS))).containsEntry("status", "CANCELLED")
                    .containsEntry("interpreter_ended", true);
            assertThat(cell(session, "print('y' in dir())")).containsEntry("status", "OK").containsEntry("stdout", "False\n");
        } finally {
            server.call("close_session", Map.of("session_id", session));
        }
    }

    @Test
    void statefulIsRefusedOutsidePythonAndWithStdin() {
        String bash = (String) structured(server.call("create_session", Map.of("language", "bash"))).get("session_id");
        String python = (String) structured(server.call("create_session", Map.of("language", "python"))).get("session_id");
        try {
            assertRefused(server.call("run_in_session", Map.of("session_id", bash, "stateful", true, "source", "echo 1")),
                    "stateful", "python");
            assertRefused(server.call("run_in_session", Map.of("session_id", python, "stateful", true, "source",
                    "print(input())", "stdin", "hi")), "stdin");
        } finally {
            server.call("close_session", Map.of("session_id", bash));
            server.call("close_session", Map.of("session_id", python));
        }
    }

    private Map<String, Object> cell(String session, String code) {
        return structured(server.call("run_in_session", Map.of("session_id", session, "stateful", true, "source", code)));
    }

    @Test
    void listLanguagesGivesTheToolchainVersions() {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> languages = (List<Map<String, Object>>) structured(
                server.call("list_languages", Map.of())).get("languages");
        Map<String, Object> python = languages.stream().filter(l -> l.get("id").equals("python")).findFirst().orElseThrow();
        assertThat((String) python.get("version")).startsWith("Python 3.");
        assertThat(languages).extracting(l -> l.get("id")).contains("javascript", "java", "cpp", "c", "bash")
                .doesNotContain("html");
        McpSchema.ReadResourceResult resource = server.client.readResource(
                new McpSchema.ReadResourceRequest("cloudrun://languages"));
        assertThat(((McpSchema.TextResourceContents) resource.contents().get(0)).text()).contains("\"Python 3.");
    }

    // ---- bad input: a clear message, nothing runs ----

    @Test
    void anUnknownToolIsAProtocolError() {
        assertThatThrownBy(() -> server.call("rm_rf", Map.of())).isInstanceOf(McpError.class)
                .hasMessageContaining("Unknown tool");
    }

    @Test
    void anUnknownLanguageIsRefused() {
        assertRefused(server.call("run_code", Map.of("language", "cobol", "source", "DISPLAY 'X'")),
                "language", "unknown language 'cobol'", "python");
    }

    @Test
    void anOversizeSourceIsRefused() {
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "#".repeat(300_000))), "source");
    }

    @Test
    void anOversizeFileIsRefused() {
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "print(1)",
                "files", Map.of("big.bin", Map.of("base64", Base64.getEncoder().encodeToString(new byte[1_200_000]))))),
                "files.big.bin", "larger than the 1048576 bytes allowed");
    }

    @Test
    void pathsThatLeaveTheSandboxAreRefused() {
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "print(1)",
                "files", Map.of("../escape.txt", "x"))), "files.../escape.txt", "must not contain '..'");
        String session = (String) structured(server.call("create_session", Map.of("language", "bash"))).get("session_id");
        try {
            assertRefused(server.call("write_file", Map.of("session_id", session, "path", "/etc/passwd", "content", "x")),
                    "path", "not absolute");
            assertRefused(server.call("read_file", Map.of("session_id", session, "path", "a/../../etc/passwd")),
                    "path", "must not contain '..'");
            assertThat(structured(server.call("list_files", Map.of("session_id", session))).get("files"))
                    .isEqualTo(List.of());
        } finally {
            server.call("close_session", Map.of("session_id", session));
        }
    }

    @Test
    void aSessionIdThatIsNotThisClientsIsRefused() {
        assertRefused(server.call("run_in_session", Map.of("session_id", "s0123456789abcdef01234567", "source", "print(1)")),
                "session_id", "is not a session of this client");
        assertThatThrownBy(() -> server.client.readResource(new McpSchema.ReadResourceRequest(
                "cloudrun://sessions/s0123456789abcdef01234567/files"))).isInstanceOf(McpError.class)
                .hasMessageContaining("is not a session of this client");
    }

    @Test
    void networkIsRefusedWhenTheOperatorHasNotAllowedIt() {
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "print(1)", "network", true)),
                "network", "the operator has not allowed network");
        assertRefused(server.call("create_session", Map.of("language", "python", "network", true)), "network");
    }

    @Test
    void limitsAboveTheOperatorsCeilingAreRefused() {
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "print(1)",
                "limits", Map.of("wall_time_seconds", 3600))), "limits.wall_time_seconds", "at most 60");
        assertRefused(server.call("run_code", Map.of("language", "python", "source", "print(1)",
                "limits", Map.of("memory_mb", 100_000))), "limits.memory_mb", "at most 1024");
    }

    @Test
    void installingNeedsASessionWithNetwork() {
        String session = (String) structured(server.call("create_session", Map.of("language", "python"))).get("session_id");
        try {
            assertRefused(server.call("install_packages", Map.of("session_id", session, "packages", List.of("requests"))),
                    "session_id", "created without network", "operator has not allowed network");
            assertRefused(server.call("install_packages", Map.of("session_id", session,
                    "packages", List.of("--index-url=http://evil"))), "packages", "is not a package name");
        } finally {
            server.call("close_session", Map.of("session_id", session));
        }
    }

    @Test
    void tooManySessionsAreRefusedAndARefusedCallLeavesNoSessionBehind() {
        try (McpTestServer small = new McpTestServer(backend(), "--max-sessions", "1")) {
            assertRefused(small.call("create_session", Map.of("language", "python", "files", Map.of("/abs", "x"))),
                    "files./abs", "not absolute");
            String first = (String) structured(small.call("create_session", Map.of("language", "python")))
                    .get("session_id");
            assertRefused(small.call("create_session", Map.of("language", "python")), "too many sessions",
                    "the most allowed is 1");
            small.call("close_session", Map.of("session_id", first));
            assertThat(structured(small.call("create_session", Map.of("language", "python")))).containsKey("session_id");
            // The first server's session ids mean nothing here, and the reverse.
            assertRefused(server.call("list_files", Map.of("session_id", first)), "is not a session of this client");
        }
    }

    @Test
    void anIdleSessionExpires() {
        try (McpTestServer quick = new McpTestServer(backend(), "--session-idle-timeout", "2")) {
            String session = (String) structured(quick.call("create_session", Map.of("language", "bash")))
                    .get("session_id");
            assertThat(structured(quick.call("list_files", Map.of("session_id", session)))).containsKey("files");
            Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                    Boolean.TRUE.equals(quick.call("list_files", Map.of("session_id", session)).isError()));
            // The call that sees the expiry says so; the session is then gone (which call sees it depends on when
            // the idle sweep closed the workspace, so the next one may still say "has expired").
            assertThat(text(quick.call("list_files", Map.of("session_id", session))))
                    .contains("session_id").containsAnyOf("is not a session of this client", "has expired");
        }
    }

    private String progressText(String token) {
        return String.join("", server.progress.stream().filter(p -> p.progressToken().equals(token))
                .map(McpSchema.ProgressNotification::message).toList());
    }

    private static void assertRefused(McpSchema.CallToolResult result, String... fragments) {
        assertThat(result.isError()).as("isError of %s", result).isTrue();
        assertThat(text(result)).contains(fragments);
    }
}
