package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
    void closePage() throws IOException {
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("shell.png")));
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

        page.click(".panel-tab[data-tab=shell]");
        page.waitForSelector(".shell-tab.active:has-text('bash 1')");
        waitForShell("$ ");
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

        type("exit 3");
        waitForShell("[process exited with status 3]");
        page.waitForSelector("[data-action=restart-shell]:visible");
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
