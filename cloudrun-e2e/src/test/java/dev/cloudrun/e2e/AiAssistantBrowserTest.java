package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IDE's AI Assistant panel in Debian's headless Chromium against a real server whose Groq
 * provider is a fake OpenAI-compatible chat-completions server on loopback (streamed SSE answers):
 * a failing run, "Fix Error", the explanation streaming in, the diff, Accept, a passing run, and undo.
 */
class AiAssistantBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    static final String FAILING = "print('Hello,', undefined_name)\n";
    static final String FIXED = "name = 'CloudRun'\nprint('Hello,', name)\n";
    /** The first part of the answer, streamed before the fake pauses. */
    static final List<String> FIRST = List.of("The program fails with a **NameError**: ", "the name `undefined_name` is used ",
            "before anything was assigned to it.");
    /** The rest, streamed once the test has seen the first part in the page. */
    static final List<String> REST = List.of("\n\nDefine the variable first:\n\n```python\n", "name = 'CloudRun'\n",
            "print('Hello,', name)\n```\n\n", "- `<script>alert(1)</script>` stays *text*.\n");

    @TempDir
    static Path dataDir;
    @TempDir
    static Path plainDataDir;

    private static HttpServer fakeProvider;
    private static final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private static final List<String> authHeaders = new CopyOnWriteArrayList<>();
    private static volatile CountDownLatch resume = new CountDownLatch(1);
    private static CloudRunServer server;
    private static Playwright playwright;
    private static Browser browser;
    private static String baseUrl;

    private BrowserContext context;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startFakeProviderServerAndBrowser() throws IOException {
        fakeProvider = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        fakeProvider.createContext("/", AiAssistantBrowserTest::answer);
        fakeProvider.setExecutor(Executors.newCachedThreadPool());
        fakeProvider.start();
        server = CloudRunServer.create(ServerConfig.of(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_WALL_TIME_SECONDS", "30",
                "GROQ_API_KEY", "test-key",
                "GROQ_BASE_URL", "http://127.0.0.1:" + fakeProvider.getAddress().getPort() + "/openai/v1"))).start();
        baseUrl = "http://127.0.0.1:" + server.port() + "/";
        assertThat(IdeSteps.CHROMIUM).as("Debian's chromium (scripts/install-deps.sh installs it)").isExecutable();
        playwright = IdeSteps.playwright();
        browser = IdeSteps.launchChromium(playwright);
    }

    @AfterAll
    static void stopEverything() {
        resume.countDown();
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
        if (server != null) {
            server.close();
        }
        if (fakeProvider != null) {
            fakeProvider.stop(0);
        }
    }

    @BeforeEach
    void openPage() {
        context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1400, 850));
        context.setDefaultTimeout(TIMEOUT_MS);
        page = context.newPage();
        ide = new IdeSteps(page);
    }

    @AfterEach
    void closePage() {
        resume.countDown();
        List<String> violations = ide.policyViolations();
        context.close();
        assertThat(violations).as("Content-Security-Policy violations").isEmpty();
    }

    /** The fake Groq: records the request, streams FIRST, waits until the test says so, streams REST. */
    private static void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonNode body = MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            received.add(body);
            authHeaders.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            if (!exchange.getRequestURI().getPath().endsWith("/chat/completions") || !body.path("stream").asBoolean()) {
                byte[] bytes = "{\"error\":{\"message\":\"the fake only streams chat completions\"}}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, bytes.length);
                exchange.getResponseBody().write(bytes);
                return;
            }
            if (body.path("messages").toString().contains("FAIL_PROVIDER")) {
                byte[] bytes = "{\"error\":{\"message\":\"fake overload\"}}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(500, bytes.length);
                exchange.getResponseBody().write(bytes);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            for (String chunk : FIRST) {
                sendDelta(out, chunk);
            }
            // Hold the rest back (less than the server's 20 s silence limit) until the page showed the first part.
            resume.await(15, TimeUnit.SECONDS);
            for (String chunk : REST) {
                sendDelta(out, chunk);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sendDelta(OutputStream out, String text) throws IOException, InterruptedException {
        Map<String, Object> event = Map.of("id", "chatcmpl-fake", "object", "chat.completion.chunk", "model", "llama-3.3-70b-versatile",
                "choices", List.of(Map.of("index", 0, "delta", Map.of("content", text))));
        out.write(("data: " + MAPPER.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        Thread.sleep(60);
    }

    @Test
    void fixErrorStreamsTheExplanationAppliesTheFixAndUndoRestoresTheCode() throws IOException {
        received.clear();
        resume = new CountDownLatch(1);
        register(baseUrl);
        ide.createProject("Fixer", "python");
        ide.setEditorText(FAILING);
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("RUNTIME_ERROR");
        ide.waitForRunEnd();

        page.click(".panel-tab[data-tab=ai]");
        page.waitForSelector(".ai-panel[data-state=ready]");
        assertThat(page.textContent("[data-testid=ai-notice]")).contains("sent to Groq").contains("llama-3.3-70b-versatile");
        for (String action : List.of("fix_error", "explain_error", "explain_code", "optimize")) {
            assertThat(page.isEnabled("[data-ai-action=" + action + "]")).as(action).isTrue();
        }

        page.click("[data-ai-action=fix_error]");
        // The first part shows while the provider still holds the rest back: the answer streams.
        page.waitForFunction("() => document.querySelector('[data-testid=ai-reply]').textContent.includes('before anything was assigned')");
        assertThat(page.getAttribute(".ai-panel", "data-reply")).isEqualTo("streaming");
        assertThat(page.textContent("[data-testid=ai-reply]")).doesNotContain("Define the variable first");
        assertThat(page.isVisible("[data-testid=ai-diff]")).isFalse();
        assertThat(page.isDisabled("[data-ai-action=explain_code]")).as("no second request while one streams").isTrue();
        assertThat(page.isVisible("[data-ai-action=stop]")).as("the answer can be stopped while it streams").isTrue();
        assertThat(page.innerHTML("[data-testid=ai-reply]")).contains("<strong>NameError</strong>").contains("<code>undefined_name</code>");
        resume.countDown();

        page.waitForSelector("[data-ai-diff=accept]");
        page.waitForSelector("[data-testid=ai-diff] .monaco-diff-editor");
        page.waitForSelector(".ai-panel[data-reply=finished]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
        String reply = page.textContent("[data-testid=ai-reply]");
        assertThat(reply).contains("Define the variable first").contains("<script>alert(1)</script>");
        assertThat(page.querySelectorAll("[data-testid=ai-reply] script")).isEmpty();
        assertThat(page.textContent("[data-testid=ai-reply] pre code")).isEqualTo(FIXED.stripTrailing());
        assertThat(page.textContent("[data-testid=ai-reply-status]")).contains("Answered by groq");
        assertThat(page.isHidden("[data-ai-action=stop]")).isTrue();
        page.waitForFunction("() => [...document.querySelectorAll('[data-testid=ai-diff] .view-lines')]"
                + ".some(lines => lines.textContent.includes('CloudRun'))");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-ai-fix.png")));

        // What the provider received: the code, the error, the output, with the key as a bearer token.
        assertThat(received).hasSize(1);
        String prompt = received.get(0).path("messages").toString();
        assertThat(prompt).contains("undefined_name").contains("NameError").contains("RUNTIME_ERROR");
        assertThat(authHeaders.get(authHeaders.size() - 1)).isEqualTo("Bearer test-key");

        page.click("[data-ai-diff=accept]");
        page.waitForSelector("[data-ai-diff=undo]");
        assertThat(editorText()).isEqualTo(FIXED.stripTrailing());

        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("Hello, CloudRun");
        ide.waitForTerminal("OK · exit code 0");
        ide.waitForRunEnd();

        page.click(".editor-host .view-lines");
        page.keyboard().press("Control+Z");
        page.waitForFunction("expected => " + EDITOR_TEXT_JS + " === expected", FAILING.stripTrailing());
        assertThat(editorText()).isEqualTo(FAILING.stripTrailing());
    }

    @Test
    void aFailingProviderShowsTheServersErrorInThePanel() {
        register(baseUrl);
        ide.createProject("Broken", "python");
        ide.setEditorText("# FAIL_PROVIDER\nprint(1)\n");
        page.click(".panel-tab[data-tab=ai]");
        page.waitForSelector(".ai-panel[data-state=ready]");
        assertThat(page.isDisabled("[data-ai-action=fix_error]")).as("no failed run yet").isTrue();
        assertThat(page.isDisabled("[data-ai-action=explain_error]")).as("no failed run yet").isTrue();
        page.click("[data-ai-action=explain_code]");
        page.waitForSelector("[data-testid=ai-reply-status].error");
        assertThat(page.textContent("[data-testid=ai-reply-status]")).startsWith("No AI provider could answer");
        assertThat(page.isEnabled("[data-ai-action=explain_code]")).as("ready for another try").isTrue();
        assertThat(page.isVisible("[data-testid=ai-diff]")).isFalse();
    }

    @Test
    void withoutAKeyThePanelSaysHowToConfigureOne() throws IOException {
        try (CloudRunServer plain = CloudRunServer.create(ServerConfig.of(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", plainDataDir.toString(),
                "CLOUDRUN_BACKEND", "local"))).start()) {
            register("http://127.0.0.1:" + plain.port() + "/");
            page.click(".panel-tab[data-tab=ai]");
            page.waitForSelector(".ai-panel[data-state=not-configured]");
            String text = page.textContent(".ai-pane");
            assertThat(text).contains("not configured").contains("GROQ_API_KEY").contains("GEMINI_API_KEY").contains("CLOUDRUN_AI_BASE_URL");
            for (String action : List.of("fix_error", "explain_error", "explain_code", "optimize")) {
                assertThat(page.isDisabled("[data-ai-action=" + action + "]")).as(action).isTrue();
            }
            Files.createDirectories(ARTIFACTS);
            page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-ai-not-configured.png")));
        }
    }

    // ------------------------------------------------------------------ steps

    private static final String EDITOR_TEXT_JS = "[...document.querySelectorAll('.editor-host .view-lines > .view-line')]"
            + ".sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))"
            + ".map(line => line.textContent.replace(/\\u00a0/g, ' ')).join('\\n').replace(/\\s+$/, '')";

    private String editorText() {
        return (String) page.evaluate("() => " + EDITOR_TEXT_JS);
    }

    private void register(String url) {
        ide.register(url, "ai");
    }

}
