package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
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
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IDE's run history in headless Chromium against a real server (SQLite, local sandbox): two runs
 * of a project show as two rows with their statuses, a row shows that run's output in the terminal,
 * and after a reload the terminal shows the last run's output again, with its colours.
 */
class RunHistoryBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    private static final String PROGRAM = "import sys\n"
            + "name = input('Name? ')\n"
            + "print('Hello, ' + name, flush=True)\n"
            + "print('complaint about ' + name, file=sys.stderr)\n"
            + "sys.exit(0 if name == 'good' else 3)\n";

    @TempDir
    static Path dataDir;

    private static BrowserHarness harness;
    private static String baseUrl;

    private BrowserHarness.Tab tab;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startServerAndBrowser() {
        harness = BrowserHarness.start(dataDir, Map.of());
        baseUrl = harness.baseUrl();
    }

    @AfterAll
    static void stopServerAndBrowser() {
        if (harness != null) {
            harness.close();
        }
    }

    @BeforeEach
    void openPage() {
        tab = harness.open(1400, 850, TIMEOUT_MS);
        page = tab.page();
        ide = tab.ide();
    }

    @AfterEach
    void closePage(TestInfo test) {
        tab.close("history-" + test.getTestMethod().orElseThrow().getName());
    }

    private void runAnswering(String name, String status, int prompts) {
        page.click("[data-action=run]");
        // The terminal keeps earlier runs: wait for this run's prompt, the n-th one.
        page.waitForFunction("n => [...document.querySelectorAll('.xterm-rows > div')].map(row => row.textContent"
                + ".replace(/\\u00a0/g, ' ')).join('\\n').split('Name? ').length > n", prompts);
        page.click(".terminal-host");
        page.keyboard().type(name);
        page.keyboard().press("Enter");
        ide.waitForTerminal("■ " + status);
        ide.waitForRunEnd();
    }

    @Test
    void twoRunsAreListedAndTheLastOnesOutputComesBackAfterAReload() throws IOException {
        ide.register(baseUrl, "history");
        ide.createProject("Remembered", "python");
        // Pipes, not the IDE's default terminal mode: the kept output must keep stderr apart (and red).
        ide.setTerminalMode(false);
        ide.setEditorText(PROGRAM);
        runAnswering("good", "OK", 1);
        runAnswering("bad", "RUNTIME_ERROR", 2);

        page.click(".panel-tab[data-tab=history]");
        page.waitForFunction("() => document.querySelectorAll('.history-row').length === 2");
        assertThat(page.locator(".history-row .history-status").allTextContents()).containsExactly("RUNTIME_ERROR", "OK");
        assertThat(page.getAttribute("li:nth-child(1) .history-status", "class")).isEqualTo("history-status tone-error");
        assertThat(page.getAttribute("li:nth-child(2) .history-status", "class")).isEqualTo("history-status tone-ok");
        assertThat(page.locator("li:nth-child(1) .history-entry").textContent()).isEqualTo("main.py");
        assertThat(page.locator("li:nth-child(1) .history-duration").textContent()).matches("\\d+(\\.\\d+)? (ms|s)");
        assertThat(page.locator("li:nth-child(1) .history-memory").textContent()).matches("[\\d.]+ (KB|MB)");
        assertThat(page.locator("li:nth-child(1) .history-time").textContent()).matches("\\d\\d:\\d\\d:\\d\\d");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("history-tab.png")));

        // The older run's output, shown again in the terminal under its own header.
        page.click("li:nth-child(2) .history-row");
        page.waitForSelector(".terminal-host:visible");
        ide.waitForTerminal("Run of ");
        ide.waitForTerminal(": OK");

        page.reload();
        ide.waitForIde();
        ide.waitForTerminal("Last run, ");
        ide.waitForTerminal(": RUNTIME_ERROR");
        ide.waitForTerminal("Hello, bad");
        String restored = terminalText();
        // The program's output under the header (stdout and stderr in the order the server read them).
        assertThat(restored.indexOf("Last run, ")).isLessThan(restored.indexOf("Name? "));
        assertThat(restored.indexOf("Name? ")).isLessThan(restored.indexOf("Hello, bad"));
        assertThat(restored).doesNotContain("Hello, good");
        // stderr keeps its colour (red, xterm's fg-1); the header is dim.
        assertThat(terminalSpans("xterm-fg-1")).anyMatch(text -> text.contains("complaint about bad"));
        assertThat(terminalSpans("xterm-dim")).anyMatch(text -> text.contains("Last run, "));
    }

    private String terminalText() {
        return (String) page.evaluate("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n')");
    }

    @SuppressWarnings("unchecked")
    private List<String> terminalSpans(String cssClass) {
        return (List<String>) page.evaluate("cls => [...document.querySelectorAll('.xterm-rows span.' + cls)].map(s => s.textContent)", cssClass);
    }
}
