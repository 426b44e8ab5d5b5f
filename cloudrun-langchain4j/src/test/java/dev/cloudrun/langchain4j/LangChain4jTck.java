package dev.cloudrun.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Limits;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.CountingBackend;
import dev.cloudrun.tck.LeakChecks;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What the LangChain4j integration must do on every backend: the engine for each status, the tool
 * class called directly, and the whole agent loop through {@code AiServices} and
 * {@code OpenAiChatModel} against {@link FakeOpenAiServer}. Subclass it per backend (in the backend's
 * package, to reach its leftovers). Every run is a real sandbox run; {@link CountingBackend} proves
 * when nothing ran, and after each test the backend must hold nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class LangChain4jTck {
    private static final long MIB = 1024L * 1024L;

    private CountingBackend backend;
    private CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void startRunner() {
        backend = new CountingBackend(createBackend());
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(4));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNoCloudRunThreads();
    }

    @BeforeEach
    void resetCounts() {
        backend.reset();
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend.delegate()));
    }

    private CloudRunCodeExecutionEngine engine() {
        return CloudRunCodeExecutionEngine.create(runner);
    }

    // --- the engine ---

    @Test
    void engineReturnsStdoutOfASuccessfulRun() {
        assertThat(engine().execute("print(6 * 7)")).isEqualTo("42\n");
    }

    @Test
    void engineGivesTheProgramItsStdin() {
        assertThat(engine().withStdin("world\n").execute("print('hello ' + input())")).isEqualTo("hello world\n");
    }

    @Test
    void engineRunsTheConfiguredLanguage() {
        CloudRunCodeExecutionEngine javascript = engine().withLanguage("js");
        assertThat(javascript.language().id()).isEqualTo("javascript");
        assertThat(javascript.execute("console.log(6 * 7)")).isEqualTo("42\n");
    }

    @Test
    void engineSaysWhenAProgramPrintedNothing() {
        assertThat(engine().execute("x = 6 * 7")).contains("without printing anything");
    }

    @Test
    void engineExplainsASyntaxError() {
        String text = engine().execute("print(6 * 7");
        assertThat(text).startsWith("COMPILE_ERROR: the code did not compile").contains("SyntaxError");
    }

    @Test
    void engineExplainsACompilerError() {
        String text = engine().withLanguage("c").execute("int main(void) { return undefined_name; }\n");
        assertThat(text).startsWith("COMPILE_ERROR:").contains("compiler output:").contains("undefined_name");
    }

    @Test
    void engineExplainsARuntimeErrorWithStdoutAndStderr() {
        String text = engine().execute("print('before')\nraise ValueError('boom')");
        assertThat(text).startsWith("RUNTIME_ERROR: the program exited with code 1")
                .contains("stdout:\nbefore\n").contains("stderr:\n").contains("ValueError: boom");
    }

    @Test
    void engineNamesTheTimeLimitThatWasHit() {
        String text = engine().withLimits(limits -> limits.withWallTime(Duration.ofSeconds(10)).withCpuTime(Duration.ofSeconds(1)))
                .execute("while True:\n    pass\n");
        // On a loaded machine the wall clock may run out before the CPU second is spent: either is named.
        assertThat(text).matches("TIME_LIMIT: the program was stopped: exceeded the (CPU time limit of 1 s|wall-clock limit of 10 s)"
                + "\\. Make it faster, or do less work in one run\\.");
    }

    @Test
    void engineNamesTheMemoryLimitThatWasHit() {
        String text = engine().withLimits(limits -> limits.withMemoryBytes(64 * MIB))
                .execute("chunks = []\nwhile True:\n    chunks.append(bytearray(8 * 1024 * 1024))\n");
        assertThat(text).startsWith("MEMORY_LIMIT: the program was stopped").contains("64 MiB").contains("Use less memory");
    }

    @Test
    void engineExplainsTheOutputLimit() {
        String text = engine().withLimits(limits -> limits.withMaxOutputBytes(64 * 1024))
                .execute("import sys\nwhile True:\n    sys.stdout.write('x' * 1000)\n");
        assertThat(text).startsWith("OUTPUT_LIMIT: the program was stopped").contains("Print less");
        assertThat(text.length()).isLessThan(11_000);
    }

    @Test
    void engineCapsStdoutFromTheHeadAndStderrFromTheTail() {
        String stdout = engine().withMaxStdoutChars(100).execute("print('a' * 100 + 'b' * 4900)");
        assertThat(stdout).startsWith("a".repeat(100) + "\n[... 4901 more characters of stdout cut ...]").doesNotContain("b");

        String failed = engine().withMaxStderrChars(200)
                .execute("import sys\nsys.stderr.write('e' * 50000 + '\\n')\nraise SystemExit('last words')");
        assertThat(failed).startsWith("RUNTIME_ERROR:").contains("earlier characters cut ...]").endsWith("last words\n");
        assertThat(failed.length()).isLessThan(600);
    }

    @Test
    void engineRejectsBadConfigurationNamingTheField() {
        assertThatThrownBy(() -> engine().withLanguage("cobol")).isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("language: unknown language 'cobol'");
        assertThatThrownBy(() -> engine().withLanguage("html")).isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("language: 'html' is only previewed");
        assertThatThrownBy(() -> engine().withLimits(limits -> limits.withMemoryBytes(1L << 40)))
                .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("limits.memoryBytes: must be at most");
        assertThatThrownBy(() -> engine().withMaxStdoutChars(5)).isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("maxStdoutChars:");
        assertThatThrownBy(() -> engine().execute(null)).isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("code: is required");
        assertThat(backend.sandboxesOpened()).isZero();
    }

    // --- the tools, called directly ---

    @Test
    void runCodeReportsStatusTimesAndOutput() {
        String text = CloudRunTools.create(runner).runCode("python", "print(6 * 7)", null);
        assertThat(text).startsWith("status: OK\nexit code: 0\ntime: ").contains("MiB\nstdout:\n42\n")
                .doesNotContain("what happened").doesNotContain("stderr:");
    }

    @Test
    void runCodeReadsStdin() {
        String text = CloudRunTools.create(runner).runCode("py", "print(sum(int(x) for x in input().split()))", "40 2\n");
        assertThat(text).startsWith("status: OK").contains("stdout:\n42\n");
    }

    @Test
    void runCodeExplainsFailuresWithTheToolsLimits() {
        CloudRunTools tools = CloudRunTools.create(runner)
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(1)).withCpuTime(Duration.ofSeconds(1)));
        String slow = tools.runCode("python", "import time\ntime.sleep(30)", "");
        assertThat(slow).startsWith("status: TIME_LIMIT\nwhat happened: the program was stopped: exceeded the wall-clock limit of 1 s");

        String crash = CloudRunTools.create(runner).runCode("javascript", "throw new Error('kaput')", null);
        assertThat(crash).startsWith("status: RUNTIME_ERROR\nwhat happened: the program exited with code 1")
                .contains("stdout:\n(empty)\nstderr:\n").contains("Error: kaput");
    }

    @Test
    void runCodeRejectsBadArgumentsWithoutRunningAnything() {
        CloudRunTools tools = CloudRunTools.create(runner).withLanguages("python", "js");
        assertThat(tools.runCode("cobol", "DISPLAY 'HI'.", null)).isEqualTo(
                "error: language: unknown or not enabled language 'cobol'; languages: javascript, python. Nothing was run.");
        assertThat(tools.runCode("bash", "echo hi", null)).startsWith("error: language: unknown or not enabled language 'bash'");
        assertThat(tools.runCode(null, "print(1)", null)).startsWith("error: language: is required; languages: javascript, python");
        assertThat(tools.runCode("python", "  \n", null)).isEqualTo("error: code: is empty. Nothing was run.");
        assertThat(tools.runCode("python", "#".repeat(CloudRunTools.MAX_CODE_CHARS + 1), null))
                .isEqualTo("error: code: has 100001 characters, more than 100000. Nothing was run.");
        assertThat(tools.runCode("python", "print(1)", "x".repeat(CloudRunTools.MAX_STDIN_CHARS + 1)))
                .startsWith("error: stdin: has 100001 characters");
        assertThat(backend.sandboxesOpened()).isZero();
    }

    @Test
    void runCodeHasNoNetworkAndNoHostEnvironment() {
        // The build gives the test JVM this variable (the parent pom's surefire configuration).
        assertThat(System.getenv("CLOUDRUN_TCK_HOST_SECRET")).isNotEmpty();
        String code = "import os, socket\n"
                + "print('secret visible:', 'CLOUDRUN_TCK_HOST_SECRET' in os.environ)\n"
                + "try:\n"
                + "    socket.create_connection(('1.1.1.1', 53), timeout=3)\n"
                + "    print('network: reached 1.1.1.1')\n"
                + "except OSError as error:\n"
                + "    print('network: refused')\n";
        String text = CloudRunTools.create(runner).runCode("python", code, null);
        assertThat(text).startsWith("status: OK").contains("stdout:\nsecret visible: False\nnetwork: refused\n");
    }

    @Test
    void listLanguagesNamesTheAcceptedLanguagesAndTheLimits() {
        String all = CloudRunTools.create(runner).listLanguages();
        assertThat(all).contains("python: Python 3; also python3, py\n", "javascript: JavaScript (Node.js)", "\ncpp: ")
                .doesNotContain("html").endsWith("limits of every run: 10 s wall clock, 5 s CPU, 256 MiB memory, 64 processes,"
                        + " 1048576 bytes of output, 30 s to compile; network off");

        String some = CloudRunTools.create(runner).withLanguages("python").withLimits(Limits.defaults().withMemoryBytes(128 * MIB))
                .listLanguages();
        assertThat(some).contains("python: Python 3").doesNotContain("javascript").contains("128 MiB memory");
        assertThatThrownBy(() -> CloudRunTools.create(runner).withLanguages("html"))
                .hasMessageStartingWith("language: 'html' is only previewed");
    }

    @Test
    void runCodeIsSafeToCallFromManyThreads() throws Exception {
        CloudRunTools tools = CloudRunTools.create(runner);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> answers = IntStream.range(0, 8)
                    .mapToObj(i -> threads.submit(() -> tools.runCode("python", "print(" + i + " * 1000 + 7)", null)))
                    .toList();
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get(90, TimeUnit.SECONDS)).startsWith("status: OK").contains("stdout:\n" + (i * 1000 + 7) + "\n");
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(backend.sandboxesOpened()).isEqualTo(8);
    }

    // --- the agent loop: AiServices, OpenAiChatModel, a fake OpenAI server, a real sandbox ---

    private static ChatModel model(FakeOpenAiServer server) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("test-key").modelName("gpt-test")
                .timeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void agentRunsTheModelsCodeInTheSandboxAndAnswersWithItsOutput() throws Exception {
        String nonce = UUID.randomUUID().toString();
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(nonce.getBytes(StandardCharsets.UTF_8)));
        String code = "import hashlib\nprint(6 * 7)\nprint(hashlib.sha256(b'" + nonce + "').hexdigest())\n";
        Map<String, Object[]> call = new LinkedHashMap<>();
        call.put("call_1", new Object[] {"runCode", Map.of("language", "python", "code", code)});
        try (FakeOpenAiServer server = new FakeOpenAiServer(request -> {
            List<String> results = FakeOpenAiServer.toolResults(request);
            if (results.isEmpty()) {
                return FakeOpenAiServer.toolCalls(call);
            }
            String stdout = results.get(0).substring(results.get(0).indexOf("stdout:\n") + 8);
            return FakeOpenAiServer.answer("6 * 7 = " + stdout.lines().findFirst().orElse("?"));
        })) {
            String answer = AgentExample.askTheAgent(runner, model(server));

            assertThat(answer).isEqualTo("6 * 7 = 42");
            assertThat(server.requests()).hasSize(2);
            JsonNode first = server.requests().get(0);
            assertThat(first.path("messages").get(0).path("content").asText()).isEqualTo("What is 6 * 7? Compute it with Python.");
            JsonNode runCode = toolNamed(first, "runCode");
            assertThat(runCode.path("parameters").path("properties").fieldNames()).toIterable()
                    .containsExactly("language", "code", "stdin");
            assertThat(runCode.path("parameters").path("required")).extracting(JsonNode::asText).containsExactly("language", "code");
            assertThat(toolNamed(first, "listLanguages").isMissingNode()).isFalse();

            JsonNode second = server.requests().get(1);
            JsonNode toolMessage = lastMessage(second);
            assertThat(toolMessage.path("role").asText()).isEqualTo("tool");
            assertThat(toolMessage.path("tool_call_id").asText()).isEqualTo("call_1");
            assertThat(toolMessage.path("content").asText()).startsWith("status: OK\n")
                    .contains("stdout:\n42\n" + digest + "\n");
        }
        assertThat(backend.sandboxesOpened()).isEqualTo(1);
    }

    @Test
    void agentToolCallWithAnUnknownLanguageGetsAnErrorTextAndRunsNothing() {
        Map<String, Object[]> call = new LinkedHashMap<>();
        call.put("call_7", new Object[] {"runCode", Map.of("language", "cobol", "code", "DISPLAY 42.")});
        try (FakeOpenAiServer server = new FakeOpenAiServer(request -> FakeOpenAiServer.toolResults(request).isEmpty()
                ? FakeOpenAiServer.toolCalls(call) : FakeOpenAiServer.answer("I cannot run COBOL here."))) {
            String answer = AgentExample.askTheAgent(runner, model(server));

            assertThat(answer).isEqualTo("I cannot run COBOL here.");
            assertThat(FakeOpenAiServer.toolResults(server.requests().get(1))).containsExactly(
                    "error: language: unknown or not enabled language 'cobol'; languages: javascript, python. Nothing was run.");
        }
        assertThat(backend.sandboxesOpened()).isZero();
    }

    @Test
    void agentRunsParallelToolCallsConcurrently() {
        Map<String, Object[]> calls = new LinkedHashMap<>();
        calls.put("call_a", new Object[] {"runCode", Map.of("language", "python", "code", "print(input() * 2)", "stdin", "ab\n")});
        calls.put("call_b", new Object[] {"runCode", Map.of("language", "javascript", "code", "console.log(2 ** 10)")});
        calls.put("call_c", new Object[] {"listLanguages", Map.of()});
        try (FakeOpenAiServer server = new FakeOpenAiServer(request -> FakeOpenAiServer.toolResults(request).isEmpty()
                ? FakeOpenAiServer.toolCalls(calls) : FakeOpenAiServer.answer("done"))) {
            AgentExample.Assistant assistant = AiServices.builder(AgentExample.Assistant.class)
                    .chatModel(model(server))
                    .tools(CloudRunTools.create(runner))
                    .executeToolsConcurrently()
                    .build();

            assertThat(assistant.chat("Run these.")).isEqualTo("done");
            List<String> results = FakeOpenAiServer.toolResults(server.requests().get(1));
            assertThat(results).hasSize(3);
            assertThat(results.get(0)).startsWith("status: OK").contains("stdout:\nabab\n");
            assertThat(results.get(1)).startsWith("status: OK").contains("stdout:\n1024\n");
            assertThat(results.get(2)).contains("python: Python 3");
        }
        assertThat(backend.sandboxesOpened()).isEqualTo(2);
    }

    @Test
    void exampleRunsTheEngineDirectly() {
        assertThat(AgentExample.runDirectly(runner)).isEqualTo("42\n");
    }

    private static JsonNode toolNamed(JsonNode request, String name) {
        for (JsonNode tool : request.path("tools")) {
            if (tool.path("function").path("name").asText().equals(name)) {
                return tool.path("function");
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    private static JsonNode lastMessage(JsonNode request) {
        JsonNode messages = request.path("messages");
        return messages.get(messages.size() - 1);
    }
}
