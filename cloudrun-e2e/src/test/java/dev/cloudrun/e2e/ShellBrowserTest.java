package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.WebSocketRoute;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IDE's Shell tab in Debian's headless Chromium against a real server (SQLite in a temporary
 * folder, the local bubblewrap sandbox): a shell in the project's workspace whose files are the
 * project's, both ways.
 */
class ShellBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    /** The visible shell's screen, rows joined by newlines (xterm.js's DOM renderer; no-break spaces as spaces). */
    private static final String SHELL_TEXT = "() => [...document.querySelectorAll('.shell-body:not([hidden]) .xterm-rows > div')]"
            + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n')";

    @TempDir
    static Path dataDir;

    private static CloudRunServer server;
    private static Playwright playwright;
    private static Browser browser;
    private static String baseUrl;

    private BrowserContext context;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startServerAndBrowser() {
        server = CloudRunServer.create(ServerConfig.of(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_WALL_TIME_SECONDS", "30",
                "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000"))).start();
        baseUrl = "http://127.0.0.1:" + server.port() + "/";
        assertThat(IdeSteps.CHROMIUM).as("Debian's chromium (scripts/install-deps.sh installs it)").isExecutable();
        playwright = IdeSteps.playwright();
        browser = IdeSteps.launchChromium(playwright);
    }

    @AfterAll
    static void stopServerAndBrowser() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
        if (server != null) {
            server.close();
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
    void closePage(TestInfo test) throws IOException {
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("shell-" + test.getTestMethod().orElseThrow().getName() + ".png")));
        List<String> violations = ide.policyViolations();
        context.close();
        assertThat(violations).as("Content-Security-Policy violations").isEmpty();
    }

    @Test
    void aShellSeesTheProjectsFilesAndTheExplorerSeesTheShells() {
        ide.register(baseUrl, "shell");
        ide.createProject("Shell demo", "python");
        // Saved in the editor: the shell sees it.
        ide.setEditorText("print('hello from main.py')\n");
        page.keyboard().press("Control+S");
        page.waitForSelector(".editor-tab.active:not(.dirty)");

        long clicked = System.nanoTime();
        page.click(".panel-tab[data-tab=shell]");
        page.waitForSelector(".shell-tab.active:has-text('bash 1')");
        waitForShell("$ ");
        // A figure, not a limit: the click, the workspace's start (a cold one here), the shell and the browser's drawing.
        System.out.printf("ShellBrowserTest: Shell tab clicked to first prompt drawn: %d ms (new workspace)%n",
                (System.nanoTime() - clicked) / 1_000_000);
        page.click(".shell-body:not([hidden]) .shell-host");
        type("ls");
        waitForShell("main.py");

        type("echo hi > made-in-shell.txt");
        page.waitForSelector(".tree-row[data-path='made-in-shell.txt']");
        // The shell keeps the focus while the explorer catches up.
        assertThat((Boolean) page.evaluate("() => !!document.activeElement?.closest('.shell-host')")).isTrue();

        page.click(".tree-row[data-path='made-in-shell.txt']");
        page.waitForSelector(".editor-tab.active:has-text('made-in-shell.txt')");
        page.waitForFunction("() => (document.querySelector('.editor-host .view-lines')?.textContent ?? '').trim() === 'hi'");

        page.click(".shell-body:not([hidden]) .shell-host");
        type("python3 main.py");
        waitForShell("hello from main.py\n");
        assertThat(shellText()).contains("hello from main.py");

        // A full-screen program: Escape is vi's, not a way out of the shell.
        type("vi from-vi.txt");
        waitForShell("\"from-vi.txt\"");
        page.keyboard().press("i");
        page.keyboard().type("written in vi");
        page.keyboard().press("Escape");
        assertThat((Boolean) page.evaluate("() => !!document.activeElement?.closest('.shell-host')")).as("Escape stays in the shell").isTrue();
        type(":wq");
        page.waitForSelector(".tree-row[data-path='from-vi.txt']");
        type("cat from-vi.txt");
        waitForShell("written in vi\n");

        type("exit 3");
        waitForShell("[process exited with status 3]");
        page.waitForSelector("[data-action=restart-shell]:visible");
    }

    @Test
    void ctrlCResizeSeveralShellsAndANetworkBlipThatDoesNotLoseTheShell() {
        // Every terminal socket goes through the test, which can cut it as a network blip would.
        List<WebSocketRoute> pages = new CopyOnWriteArrayList<>();
        List<WebSocketRoute> servers = new CopyOnWriteArrayList<>();
        page.routeWebSocket(url -> url.contains("/ws/terminal/"), socket -> {
            servers.add(socket.connectToServer());
            pages.add(socket);
        });
        ide.register(baseUrl, "blip");
        ide.createProject("Blip", "python");
        page.click(".panel-tab[data-tab=shell]");
        waitForShell("$ ");
        page.click(".shell-body:not([hidden]) .shell-host");

        type("sleep 100");
        page.keyboard().press("Control+C");
        type("echo after-$((6*7))");
        waitForShell("after-42");

        String before = size(1);
        page.setViewportSize(1000, 700);
        String after = before;
        // The terminal fits itself when its panel has been laid out again; ask until the shell sees it.
        for (int attempt = 2; attempt < 12 && after.equals(before); attempt++) {
            after = size(attempt);
        }
        assertThat(after).as("stty size after the window shrank").isNotEqualTo(before);

        type("MARK=kept-$((6*7))");
        page.waitForCondition(() -> pages.size() == 1);
        pages.get(0).close(new WebSocketRoute.CloseOptions().setCode(4000).setReason("network blip"));
        servers.get(0).close();
        page.waitForCondition(() -> pages.size() == 2);
        page.waitForSelector(".shell-body:not([hidden]) .shell-status", new Page.WaitForSelectorOptions()
                .setState(com.microsoft.playwright.options.WaitForSelectorState.HIDDEN));
        page.click(".shell-body:not([hidden]) .shell-host");
        type("echo $MARK");
        waitForShell("kept-42");

        page.click("[data-action=new-shell]");
        page.waitForSelector(".shell-tab[aria-current=true]:has-text('bash 2')");
        waitForShell("$ ");
        type("echo second");
        waitForShell("second");
        page.click("[aria-label='Close bash 2']");
        page.waitForSelector(".shell-tab[aria-current=true]:has-text('bash 1')");
        assertThat(page.locator(".shell-tab").count()).isEqualTo(1);
        assertThat(shellText()).contains("kept-42");
    }

    /**
     * Keys typed the moment a shell is asked for (the Shell tab or "+" just clicked: the IDE holds
     * them until the shell is open, the server until the sandbox's terminal is raw) and right at the
     * first prompt all reach the shell, and the line is echoed once.
     */
    @Test
    void keysTypedTheMomentAShellOpensAllReachItAndAreEchoedOnce() {
        ide.register(baseUrl, "ahead");
        ide.createProject("Ahead", "python");
        page.click(".panel-tab[data-tab=shell]");
        typeAndExpectEveryKey("k0abcdefghijklmnopqrstuvwxyz");
        for (int round = 1; round <= 10; round++) {
            page.click("[aria-label='Close bash " + round + "']");
            page.click("[data-action=new-shell]");
            page.waitForSelector(".shell-tab[aria-current=true]:has-text('bash " + (round + 1) + "')");
            if (round > 5) {
                waitForShell("$ ");
            }
            typeAndExpectEveryKey("k" + round + "abcdefghijklmnopqrstuvwxyz");
        }
    }

    private void typeAndExpectEveryKey(String word) {
        type("echo " + word + "-$((6*7))");
        waitForShell(word + "-42");
        String screen = shellText();
        assertThat(screen.split(Pattern.quote("echo " + word), -1)).as("the line echoed once:%n%s", screen).hasSize(2);
    }

    /**
     * A reload of the IDE re-attaches to the shells the page had: the same shell (its $$, and a
     * variable set before the reload: each shell has a pid namespace of its own, so $$ alone would
     * not tell two apart), its earlier output shown again.
     */
    @Test
    void aReloadOfThePageReattachesToTheSameShells() {
        ide.register(baseUrl, "reload");
        ide.createProject("Reload", "python");
        page.click(".panel-tab[data-tab=shell]");
        waitForShell("$ ");
        type("MARK=m$((6*7))x; echo pid-$$-end");
        String pid = shellPid();
        type("echo before-reload-$((6*7))");
        waitForShell("before-reload-42");
        page.click("[data-action=new-shell]");
        page.waitForSelector(".shell-tab[aria-current=true]:has-text('bash 2')");
        waitForShell("$ ");
        type("echo second-$((6*7))");
        waitForShell("second-42");

        page.reload();
        ide.waitForIde();
        page.click(".panel-tab[data-tab=shell]");
        page.waitForSelector(".shell-tab[aria-current=true]:has-text('bash 1')");
        assertThat(page.locator(".shell-tab").count()).as("both shells are back").isEqualTo(2);
        waitForShell("before-reload-42");
        page.click(".shell-body:not([hidden]) .shell-host");
        type("echo pid-$$-end $MARK-after");
        waitForShell("m42x-after");
        // The answer from before the reload (replayed) and the new one.
        page.waitForFunction("pattern => ((" + SHELL_TEXT + ")().match(new RegExp(pattern, 'g')) || []).length >= 2",
                "\\npid-\\d+-end");
        Matcher pids = Pattern.compile("\npid-(\\d+)-end").matcher(shellText());
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (pids.find()) {
            seen.add(pids.group(1));
        }
        assertThat(seen).as("$$ before and after the reload").containsExactly(pid);
        page.click(".shell-tab:has-text('bash 2')");
        waitForShell("second-42");
    }

    /** @return what {@code echo pid-$$-end} answered in the visible shell */
    private String shellPid() {
        page.waitForFunction("pattern => new RegExp(pattern).test((" + SHELL_TEXT + ")())", "\\npid-\\d+-end");
        Matcher found = Pattern.compile("\npid-(\\d+)-end").matcher(shellText());
        assertThat(found.find()).isTrue();
        return found.group(1);
    }

    /**
     * A figure, not a limit: the time from a keystroke's {@code input} message leaving the page to the
     * first {@code output} message after it (the shell's echo), in the page itself, over loopback.
     */
    @Test
    void printsTheKeystrokeEchoRoundTrip() {
        page.addInitScript(ECHO_TIMES);
        ide.register(baseUrl, "echo");
        ide.createProject("Echo", "python");
        long clicked = System.nanoTime();
        page.click(".panel-tab[data-tab=shell]");
        waitForShell("$ ");
        long prompt = (System.nanoTime() - clicked) / 1_000_000;
        page.click(".shell-body:not([hidden]) .shell-host");
        int keys = 60;
        for (int i = 1; i <= keys; i++) {
            page.keyboard().press(i % 10 == 0 ? "Backspace" : "x");
            page.waitForFunction("count => window.cloudrunEchoTimes.length >= count", i);
        }
        @SuppressWarnings("unchecked")
        List<Number> times = (List<Number>) page.evaluate("() => window.cloudrunEchoTimes");
        double[] sorted = times.stream().mapToDouble(Number::doubleValue).sorted().toArray();
        assertThat(sorted).hasSize(keys);
        System.out.printf("ShellBrowserTest: Shell tab clicked to first prompt drawn: %d ms (new workspace);"
                        + " keystroke echo round trip over loopback, %d keys: p50 %.1f ms, p95 %.1f ms, max %.1f ms%n",
                prompt, keys, sorted[keys / 2], sorted[(int) Math.ceil(keys * 0.95) - 1], sorted[keys - 1]);
    }

    /** Times each terminal socket's first output message after an input message, in window.cloudrunEchoTimes. */
    private static final String ECHO_TIMES = "window.cloudrunEchoTimes = [];"
            + "const send = WebSocket.prototype.send;"
            + "WebSocket.prototype.send = function (data) {"
            + "  if (this.url.includes('/ws/terminal/') && typeof data === 'string' && data.includes('\"type\":\"input\"')) {"
            + "    this.cloudrunSentAt = performance.now();"
            + "    if (!this.cloudrunTimed) {"
            + "      this.cloudrunTimed = true;"
            + "      this.addEventListener('message', event => {"
            + "        if (this.cloudrunSentAt && typeof event.data === 'string' && event.data.includes('\"type\":\"output\"')) {"
            + "          window.cloudrunEchoTimes.push(performance.now() - this.cloudrunSentAt);"
            + "          this.cloudrunSentAt = 0;"
            + "        }"
            + "      });"
            + "    }"
            + "  }"
            + "  return send.call(this, data);"
            + "};";

    /** What `stty size` says in the shell ("rows cols"), asked with a numbered marker so that each answer is told apart. */
    private String size(int attempt) {
        type("echo \"size:$(stty size):" + attempt + ":\"");
        Pattern answer = Pattern.compile("size:(\\d+ \\d+):" + attempt + ":");
        page.waitForFunction("pattern => new RegExp(pattern).test((" + SHELL_TEXT + ")())", answer.pattern());
        Matcher found = answer.matcher(shellText());
        assertThat(found.find()).isTrue();
        return found.group(1);
    }

    /** Types a command line into the focused shell and presses Enter. */
    private void type(String line) {
        page.keyboard().type(line);
        page.keyboard().press("Enter");
    }

    private String shellText() {
        return (String) page.evaluate(SHELL_TEXT);
    }

    private void waitForShell(String text) {
        page.waitForFunction("text => (" + SHELL_TEXT + ")().includes(text)", text);
    }
}
