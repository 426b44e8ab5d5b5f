package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
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
 * The IDE for a person who uses only the keyboard or a screen reader, in Debian's headless Chromium
 * against a real server (SQLite in a temporary folder, the local bubblewrap sandbox): axe-core finds
 * no serious or critical problem, and a project is made, run and answered with the keyboard alone.
 */
class AccessibilityBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    /** axe-core, from cloudrun-web's devDependencies (npm ci puts it there when the bundle is built). */
    private static final Path AXE = Paths.get(System.getProperty("cloudrun.e2e.axe", "../cloudrun-web/node_modules/axe-core/axe.min.js"));
    private static final double TIMEOUT_MS = 30_000;

    /** Where the focus is: which part of the workbench, and what the element is. */
    private static final String FOCUSED = "() => { const e = document.activeElement; if (!e || e === document.body) return 'none -';"
            + " const part = e.closest('.titlebar') ? 'titlebar' : e.closest('.activity-bar') ? 'activity-bar'"
            + " : e.closest('.sidebar') ? 'sidebar' : e.closest('.editor-column') ? 'editor' : e.closest('.panel') ? 'panel'"
            + " : e.closest('.statusbar') ? 'statusbar' : e.closest('[role=dialog]') ? 'dialog' : 'other';"
            + " return part + ' ' + e.tagName.toLowerCase() + (e.getAttribute('role') ? '[' + e.getAttribute('role') + ']' : '')"
            + " + ' ' + (e.getAttribute('aria-label') || e.getAttribute('name') || e.textContent.trim().slice(0, 30)); }";

    @TempDir
    static Path dataDir;

    private static BrowserHarness harness;
    private static String baseUrl;

    private BrowserHarness.Tab tab;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startServerAndBrowser() {
        harness = BrowserHarness.start(dataDir, Map.of("CLOUDRUN_WALL_TIME_SECONDS", "30"));
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
        tab = harness.open(1280, 800, TIMEOUT_MS);
        page = tab.page();
        ide = tab.ide();
    }

    @AfterEach
    void closePage(TestInfo test) {
        tab.close("a11y-" + test.getTestMethod().orElseThrow().getName());
    }

    @Test
    void axeFindsNoSeriousProblemOnTheSignInScreenOrTheWorkbench() throws IOException {
        page.navigate(baseUrl);
        page.waitForSelector(".auth-card");
        assertThat(seriousViolations("sign-in screen")).as("serious or critical axe violations on the sign-in screen").isEmpty();

        ide.register(baseUrl, "axe");
        ide.createProject("Axe", "python");
        ide.waitForTerminal("Run output appears here");
        assertThat(seriousViolations("workbench")).as("serious or critical axe violations on the workbench").isEmpty();

        // The Shell tab with a shell in it (its sub-tabs, close buttons and xterm.js's screen).
        page.click(".panel-tab[data-tab=shell]");
        page.waitForFunction("() => [...document.querySelectorAll('.shell-body:not([hidden]) .xterm-rows > div')]"
                + ".some(row => row.textContent.includes('$'))");
        assertThat(seriousViolations("Shell tab")).as("serious or critical axe violations in the Shell tab").isEmpty();
        page.click(".panel-tab[data-tab=terminal]");

        // A narrow screen with its drawer open, and the settings dialog.
        page.setViewportSize(390, 844);
        page.click(".drawer-toggle");
        page.waitForSelector(".sidebar:visible");
        assertThat(seriousViolations("narrow workbench, drawer open")).as("serious or critical axe violations, narrow").isEmpty();
        page.keyboard().press("Escape");
        page.setViewportSize(1280, 800);
        page.click(".activity-item[aria-label=Settings]");
        page.waitForSelector("[role=dialog][aria-label=Settings]");
        assertThat(seriousViolations("settings dialog")).as("serious or critical axe violations in the settings dialog").isEmpty();

        // The light theme, chosen in the dialog.
        page.selectOption("[role=dialog] select[aria-label=Theme]", "light");
        page.keyboard().press("Escape");
        page.waitForSelector("html[data-theme=light]");
        assertThat(seriousViolations("workbench, light theme")).as("serious or critical axe violations, light theme").isEmpty();
    }

    @Test
    void theFocusGoesTitleBarActivityBarSideBarEditorPanel() {
        ide.register(baseUrl, "order");
        ide.createProject("Order", "python");
        page.waitForSelector(".monaco-editor textarea");
        // From the top of the page forwards until the editor (where Tab indents), and from the end backwards to it.
        focusDocumentStart();
        List<String> forwards = walk("Tab", "editor");
        focusDocumentStart();
        List<String> backwards = walk("Shift+Tab", "editor");
        System.out.println("Tab order forwards: " + forwards + "\nTab order backwards: " + backwards);
        assertThat(parts(forwards)).containsExactly("titlebar", "activity-bar", "sidebar", "editor");
        assertThat(parts(backwards).get(0)).isEqualTo("panel");
        assertThat(parts(backwards)).containsSubsequence("panel", "editor");
        // The explorer tree is one stop (a roving tabindex), not one per file.
        assertThat(forwards.stream().filter(stop -> stop.contains("[treeitem]")).count()).isEqualTo(1);
        assertThat(page.locator(".tree-row[tabindex='0']").count()).isEqualTo(1);
    }

    @Test
    void withTheKeyboardAloneCreateAProjectOpenAFileRunItAnswerAndGetBackToTheEditor() {
        ide.register(baseUrl, "keys");
        // A newcomer's side bar shows the new-project form. Tab to the name, type, pick Python with the arrows, Enter.
        tabTo("input[name=project-name]");
        page.keyboard().type("Keyboard only");
        page.keyboard().press("Tab");
        assertThat(focused()).isEqualTo("sidebar select Project language");
        @SuppressWarnings("unchecked")
        List<String> languages = (List<String>) page.evalOnSelectorAll("select[name=project-language] option", "options => options.map(o => o.value)");
        int steps = languages.indexOf("python") - (int) page.evaluate("() => document.querySelector('select[name=project-language]').selectedIndex");
        for (int i = 0; i < Math.abs(steps); i++) {
            page.keyboard().press(steps > 0 ? "ArrowDown" : "ArrowUp");
        }
        assertThat(page.inputValue("select[name=project-language]")).isEqualTo("python");
        page.keyboard().press("Tab");
        assertThat(focused()).contains("Create project");
        page.keyboard().press("Enter");
        page.waitForSelector(".explorer-project:has-text('Keyboard only')");
        page.waitForSelector("body[data-editor-ready=true]");
        page.waitForSelector(".editor-tab.active[data-path='main.py']");

        // Tab indents in the editor: Ctrl+Shift+E goes to the explorer; from its tree, back to its New file button.
        page.waitForFunction("() => document.activeElement?.closest('.monaco-editor') !== null");
        page.keyboard().press("Control+Shift+E");
        assertThat(focused()).isEqualTo("sidebar div[treeitem] main.py");
        tabTo(".explorer-actions [aria-label='New file']", "Shift+Tab");
        page.keyboard().press("Enter");
        page.waitForSelector("[role=dialog] input");
        page.keyboard().type("helper.py");
        page.keyboard().press("Enter");
        page.waitForSelector(".editor-tab.active[data-path='helper.py']");

        // Into the tree (its one Tab stop is the active file), Down to main.py, Enter opens it in the editor.
        page.waitForFunction("() => document.activeElement?.closest('.monaco-editor') !== null");
        page.keyboard().press("Control+Shift+E");
        assertThat(focused()).contains("[treeitem] helper.py");
        page.keyboard().press("ArrowDown");
        assertThat(focused()).contains("[treeitem] main.py");
        page.keyboard().press("Enter");
        page.waitForSelector(".editor-tab.active[data-path='main.py']");
        page.waitForFunction("() => document.activeElement?.closest('.monaco-editor') !== null");

        // Type the program, run it with the shortcut, answer its prompt in the terminal.
        page.keyboard().press("Control+A");
        page.keyboard().press("Delete");
        page.keyboard().insertText("name = input('Your name? ')\nprint('Hello, ' + name + '!')\n");
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("Your name?");
        assertThat(focused()).as("a program waiting for input has the focus in the terminal").startsWith("panel");
        page.keyboard().type("Ada");
        page.keyboard().press("Enter");
        ide.waitForTerminal("Hello, Ada!");
        ide.waitForTerminal("OK · exit code 0");
        ide.waitForRunEnd();

        // Escape leaves the terminal for the editor; Ctrl+` goes back and forth.
        page.focus(".terminal-host textarea");
        page.keyboard().press("Escape");
        page.waitForFunction("() => document.activeElement?.closest('.monaco-editor') !== null");
        page.keyboard().press("Control+Backquote");
        assertThat(focused()).startsWith("panel");
        page.keyboard().press("Control+Backquote");
        page.waitForFunction("() => document.activeElement?.closest('.monaco-editor') !== null");

        // With no program running, Tab does not stay in the terminal.
        page.keyboard().press("Control+Backquote");
        page.keyboard().press("Tab");
        assertThat(focused()).doesNotContain("Terminal:");
        page.keyboard().press("Shift+Tab");
        page.keyboard().press("Shift+Tab");
        assertThat(focused()).doesNotContain("Terminal:");

        // Settings opens from the activity bar with Enter, closes on Escape and gives the focus back.
        tabTo(".activity-item[aria-label=Settings]");
        page.keyboard().press("Enter");
        page.waitForSelector("[role=dialog][aria-label=Settings]");
        assertThat(focused()).startsWith("dialog");
        page.keyboard().press("Escape");
        assertThat(page.isHidden("[role=dialog][aria-label=Settings]")).isTrue();
        assertThat(focused()).isEqualTo("activity-bar button Settings");
    }

    /** Puts the focus on the page itself: the next Tab goes to its first control, Shift+Tab to its last. */
    private void focusDocumentStart() {
        page.evaluate("() => { document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex'); }");
    }

    /** Presses Tab until `selector` has the focus (at most 60 times), as a keyboard user would. */
    private void tabTo(String selector) {
        tabTo(selector, "Tab");
    }

    private void tabTo(String selector, String key) {
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            if ((Boolean) page.evaluate("selector => document.activeElement?.matches(selector) ?? false", selector)) {
                return;
            }
            page.keyboard().press(key);
            seen.add(focused());
        }
        throw new AssertionError(key + " never reached " + selector + "; it went " + seen);
    }

    /** The stops `key` goes through from nowhere until the focus is in `part`. */
    private List<String> walk(String key, String part) {
        List<String> stops = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            page.keyboard().press(key);
            String stop = focused();
            stops.add(stop);
            if (stop.startsWith(part + " ")) {
                return stops;
            }
        }
        throw new AssertionError(key + " never reached the " + part + "; it went " + stops);
    }

    /** The parts of the workbench `stops` go through, each once, in order. */
    private static List<String> parts(List<String> stops) {
        List<String> parts = new ArrayList<>();
        for (String stop : stops) {
            String part = stop.substring(0, stop.indexOf(' '));
            if (part.equals("none")) {
                continue;  // past the page's last control, in the browser's own
            }
            if (parts.isEmpty() || !parts.get(parts.size() - 1).equals(part)) {
                parts.add(part);
            }
        }
        return parts;
    }

    private String focused() {
        return (String) page.evaluate(FOCUSED);
    }

    /**
     * Runs axe-core on the page and prints every violation; returns the serious and critical ones. The
     * script is evaluated, not added as a script tag, which the IDE's Content-Security-Policy refuses.
     */
    @SuppressWarnings("unchecked")
    private List<String> seriousViolations(String where) throws IOException {
        assertThat(AXE).as("axe-core (cloudrun-web's devDependency; npm ci installs it)").isRegularFile();
        if (!(Boolean) page.evaluate("() => typeof window.axe !== 'undefined'")) {
            // As a function body: a bare script is not always told apart from a function by Playwright.
            page.evaluate("() => {\n" + Files.readString(AXE, StandardCharsets.UTF_8) + "\n}");
        }
        List<Map<String, Object>> violations = (List<Map<String, Object>>) page.evaluate("async () => (await axe.run(document))"
                + ".violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,"
                + " nodes: v.nodes.map(n => n.target.join(' ') + ' -- ' + n.failureSummary.replace(/\\s+/g, ' ')) }))");
        List<String> serious = new ArrayList<>();
        for (Map<String, Object> violation : violations) {
            String line = "axe " + where + ": " + violation.get("impact") + " " + violation.get("id") + " (" + violation.get("help") + ") "
                    + violation.get("nodes");
            System.out.println(line);
            if ("serious".equals(violation.get("impact")) || "critical".equals(violation.get("impact"))) {
                serious.add(line);
            }
        }
        return serious;
    }
}
