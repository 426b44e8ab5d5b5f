package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.PlaywrightException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Error markers and "Fix with AI" in Debian's headless Chromium against a real server (local
 * bubblewrap backend) whose Groq provider is a fake OpenAI-compatible chat-completions server on
 * loopback streaming its answer: a Python traceback and a gcc error put squiggles on the lines
 * they name; "Fix with AI" beside the terminal sends the code and the error, shows the proposal as
 * the assistant's diff, Accept puts it in the editor as one undoable edit and the next run passes.
 */
class FixWithAiBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The NameError is raised in greet (line 2), called from line 5: the marker goes on the last project frame. */
    static final String FAILING = "def greet(name):\n    return 'Hello, ' + nme\n\n\nprint(greet('CloudRun'))\n";
    static final String FIXED = "def greet(name):\n    return 'Hello, ' + name\n\n\nprint(greet('CloudRun'))\n";
    static final String FAILING_C = "#include <stdio.h>\n\nint main(void) {\n    int unused;\n    printf(\"%d\\n\", missing);\n    return 0;\n}\n";

    @TempDir
    static Path dataDir;
    @TempDir
    static Path plainDataDir;

    private static HttpServer fakeProvider;
    private static final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private static BrowserHarness harness;
    private static String baseUrl;

    private BrowserHarness.Tab tab;
    private BrowserContext context;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startFakeProviderServerAndBrowser() throws IOException {
        fakeProvider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        fakeProvider.createContext("/", FixWithAiBrowserTest::answer);
        fakeProvider.setExecutor(Executors.newCachedThreadPool());
        fakeProvider.start();
        harness = BrowserHarness.start(dataDir, Map.of("CLOUDRUN_WALL_TIME_SECONDS", "30", "GROQ_API_KEY", "test-key", "GROQ_BASE_URL", "http://127.0.0.1:" + fakeProvider.getAddress().getPort() + "/openai/v1"));
        baseUrl = harness.baseUrl();
    }

    @AfterAll
    static void stopEverything() {
        if (harness != null) {
            harness.close();
        }
        if (fakeProvider != null) {
            fakeProvider.stop(0);
        }
    }

    @BeforeEach
    void openPage() {
        tab = harness.open(1400, 850, TIMEOUT_MS);
        context = tab.context();
        page = tab.page();
        ide = tab.ide();
    }

    @AfterEach
    void closePage() {
        tab.close(null);
    }

    /** The fake Groq: records the request and streams an explanation with the corrected program. */
    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonNode body = MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            if (!exchange.getRequestURI().getPath().endsWith("/chat/completions") || !body.path("stream").asBoolean()) {
                byte[] bytes = "{\"error\":{\"message\":\"the fake only streams chat completions\"}}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, bytes.length);
                exchange.getResponseBody().write(bytes);
                return;
            }
            received.add(body);
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (String chunk : List.of("The name `nme` is a typo of the parameter `name`.\n\n", "```python\n", FIXED, "```\n")) {
                Map<String, Object> event = Map.of("id", "chatcmpl-fake", "object", "chat.completion.chunk", "model", "llama-3.3-70b-versatile",
                        "choices", List.of(Map.of("index", 0, "delta", Map.of("content", chunk))));
                out.write(("data: " + MAPPER.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    @Test
    void aTracebackMarksItsLineAndFixWithAiAppliesTheProposalAsOneUndoableEdit() throws IOException {
        received.clear();
        ide.register(baseUrl, "fix");
        ide.createProject("Typo", "python");
        pasteEditorText(FAILING);
        assertThat(page.isHidden("[data-action=fix-with-ai]")).as("no failed run yet").isTrue();
        page.keyboard().press("Control+Enter");
        waitForTerminal("RUNTIME_ERROR");
        ide.waitForRunEnd();

        page.waitForFunction("() => " + SQUIGGLE_LINES_JS + "('error').length > 0");
        assertThat(squiggleLines("error")).as("the NameError's line in greet").containsOnly(2);
        assertThat(page.textContent("[data-status=problems]")).isEqualTo("⊗ 1 ⚠ 0");
        assertThat(page.getAttribute("[data-status=problems]", "aria-label")).startsWith("1 error, 0 warnings");

        page.waitForSelector("[data-action=fix-with-ai]:visible");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-fix-with-ai-marker.png")));
        page.click("[data-action=fix-with-ai]");

        // The AI Assistant tab opens with the proposal as its diff.
        page.waitForSelector(".ai-pane:visible");
        page.waitForSelector("[data-ai-diff=accept]");
        page.waitForSelector("[data-testid=ai-diff] .monaco-diff-editor");
        assertThat(page.textContent("[data-testid=ai-reply]")).contains("is a typo of the parameter");
        assertThat(received).hasSize(1);
        String prompt = received.get(0).path("messages").toString();
        assertThat(prompt).as("the code and the error went to the provider")
                .contains("'Hello, ' + nme").contains("NameError").contains("RUNTIME_ERROR").contains("fix the program");
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-fix-with-ai-diff.png")));

        page.click("[data-ai-diff=accept]");
        page.waitForSelector("[data-ai-diff=undo]");
        assertThat(editorText()).isEqualTo(FIXED.stripTrailing());

        page.keyboard().press("Control+Enter");
        waitForTerminal("Hello, CloudRun");
        waitForTerminal("OK · exit code 0");
        ide.waitForRunEnd();
        assertThat(squiggleLines("error")).as("the passing run cleared the markers").isEmpty();
        assertThat(page.isHidden("[data-status=problems]")).isTrue();
        assertThat(page.isHidden("[data-action=fix-with-ai]")).as("nothing to fix after a passing run").isTrue();

        page.click(".editor-host .view-lines");
        page.keyboard().press("Control+Z");
        page.waitForFunction("expected => " + EDITOR_TEXT_JS + " === expected", FAILING.stripTrailing());
    }

    @Test
    void aGccErrorMarksItsLineAndTheProblemCountLeadsThere() {
        ide.register(baseUrl, "gcc");
        ide.createProject("Compiler", "c");
        ide.setEditorText(FAILING_C);
        page.keyboard().press("Control+Enter");
        waitForTerminal("COMPILE_ERROR");
        ide.waitForRunEnd();
        page.waitForFunction("() => " + SQUIGGLE_LINES_JS + "('error').length > 0");
        assertThat(squiggleLines("error")).as("'missing' undeclared").containsOnly(5);
        page.waitForSelector("[data-action=fix-with-ai]:visible");
        page.click("[data-status=problems]");
        page.waitForFunction("() => document.querySelector('[data-status=cursor]').textContent.startsWith('Ln 5,')");
    }

    @Test
    void nodeAndJavacErrorsMarkTheirLinesAndOpeningAnotherProjectClearsThem() {
        ide.register(baseUrl, "js");
        ide.createProject("Script", "javascript");
        ide.setEditorText("const greeting = 'Hello';\n\nconsole.log(greeting + nme);\n");
        page.keyboard().press("Control+Enter");
        waitForTerminal("RUNTIME_ERROR");
        ide.waitForRunEnd();
        page.waitForFunction("() => " + SQUIGGLE_LINES_JS + "('error').length > 0");
        assertThat(squiggleLines("error")).as("the ReferenceError's line").containsOnly(3);

        ide.createProject("Compiled", "java");
        assertThat(page.isHidden("[data-status=problems]")).as("another project: the last one's problems are gone").isTrue();
        assertThat(page.isHidden("[data-action=fix-with-ai]")).isTrue();
        String source = "public class Main {\n    public static void main(String[] args) {\n        int count = 1;\n"
                + "        System.out.println(count + missing);\n    }\n}\n";
        pasteEditorText(source);
        assertThat(editorText()).isEqualTo(source.stripTrailing());
        page.keyboard().press("Control+Enter");
        waitForTerminal("COMPILE_ERROR");
        ide.waitForRunEnd();
        page.waitForFunction("() => " + SQUIGGLE_LINES_JS + "('error').length > 0");
        assertThat(squiggleLines("error")).as("cannot find symbol 'missing'").containsOnly(4);
    }

    @Test
    void withoutAnAiProviderAFailedRunOffersNoFix() {
        try (CloudRunServer plain = CloudRunServer.create(ServerConfig.of(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", plainDataDir.toString(),
                "CLOUDRUN_BACKEND", "local"))).start()) {
            ide.register("http://127.0.0.1:" + plain.port() + "/", "plain");
            ide.createProject("NoAi", "python");
            pasteEditorText(FAILING);
            page.keyboard().press("Control+Enter");
            waitForTerminal("RUNTIME_ERROR");
            ide.waitForRunEnd();
            page.waitForFunction("() => " + SQUIGGLE_LINES_JS + "('error').length > 0");
            assertThat(squiggleLines("error")).containsOnly(2);
            // The status check is asynchronous: the markers come from the same run's end, so it has answered by now.
            page.waitForFunction("() => document.querySelector('.ai-panel').dataset.state === 'not-configured'");
            assertThat(page.isHidden("[data-action=fix-with-ai]")).isTrue();
        }
    }

    // ------------------------------------------------------------------ steps

    /** The editor's line numbers that carry a squiggle of a severity (error, warning, info), from Monaco's rendered overlays. */
    private static final String SQUIGGLE_LINES_JS = "(severity => [...document.querySelectorAll('.editor-host .view-overlays .squiggly-' + severity)]"
            + ".map(squiggle => { const top = squiggle.parentElement.style.top;"
            + " const row = [...document.querySelectorAll('.editor-host .margin-view-overlays > div')].find(candidate => candidate.style.top === top);"
            + " return row ? Number(row.querySelector('.line-numbers')?.textContent.trim()) : -1; }))";

    private static final String EDITOR_TEXT_JS = "[...document.querySelectorAll('.editor-host .view-lines > .view-line')]"
            + ".sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))"
            + ".map(line => line.textContent.replace(/\\u00a0/g, ' ')).join('\\n').replace(/\\s+$/, '')";

    /** Waits for a text in the terminal; a timeout says what the terminal shows instead. */
    private void waitForTerminal(String text) {
        try {
            ide.waitForTerminal(text);
        } catch (PlaywrightException e) {
            throw new AssertionError("The terminal never showed \"" + text + "\"; it shows:\n" + page.evaluate(
                    "() => [...document.querySelectorAll('.xterm-rows > div')].map(row => row.textContent).join('\\n').trim()"), e);
        }
    }

    /** Replaces the editor's text as a paste does: typed text gets closing braces and indentation added by the editor. */
    private void pasteEditorText(String text) {
        page.click(".editor-host .view-lines");
        page.keyboard().press("Control+A");
        page.keyboard().press("Delete");
        context.grantPermissions(List.of("clipboard-read", "clipboard-write"));
        page.evaluate("text => navigator.clipboard.writeText(text)", text);
        page.keyboard().press("Control+V");
        page.waitForFunction("expected => " + EDITOR_TEXT_JS + " === expected", text.stripTrailing());
    }

    @SuppressWarnings("unchecked")
    private List<Integer> squiggleLines(String severity) {
        return ((List<Number>) page.evaluate("() => " + SQUIGGLE_LINES_JS + "('" + severity + "')")).stream().map(Number::intValue).toList();
    }

    private String editorText() {
        return (String) page.evaluate("() => " + EDITOR_TEXT_JS);
    }
}
