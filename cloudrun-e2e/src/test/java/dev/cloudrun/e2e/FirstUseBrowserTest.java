package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.Route;
import com.microsoft.playwright.options.WaitForSelectorState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
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
 * What a newcomer trips over in the IDE, each in headless Chromium against a real server (SQLite in
 * a temporary folder, the local sandbox): a file too large to save and a file that cannot be saved
 * block the run and say why, Run runs the entry file whichever tab is active, switching the language
 * adds no file unasked, project names are shown whole, and the editor area says it is loading while
 * Monaco comes over a slow link.
 */
class FirstUseBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final long MAX_FILE_BYTES = 2L * 1024 * 1024;

    @TempDir
    static Path dataDir;

    private static BrowserHarness harness;
    private static String baseUrl;

    private BrowserHarness.Tab tab;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startServerAndBrowser() {
        harness = BrowserHarness.start(dataDir, Map.of("CLOUDRUN_WALL_TIME_SECONDS", "30", "CLOUDRUN_MAX_FILE_BYTES", String.valueOf(MAX_FILE_BYTES)));
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
        tab = harness.open(1400, 850, 30_000);
        page = tab.page();
        ide = tab.ide();
    }

    @AfterEach
    void closePage(TestInfo test) {
        tab.close("first-use-" + test.getTestMethod().orElseThrow().getName());
    }

    @Test
    void aFiveMegabyteFileBlocksTheRunAndTheLimitIsNamedInTheTerminalAndTheStatusBar() {
        ide.register(baseUrl, "big");
        ide.createProject("Big", "python");
        // 5 MB of source, pasted in (one paste, as a person would; typing it would take Monaco a key at a time).
        page.click(".editor-host .view-lines");
        page.keyboard().press("Control+A");
        page.evaluate("() => { const text = ('x = 1  # ' + 'p'.repeat(90) + '\\n').repeat(52429);"
                + " const data = new DataTransfer(); data.setData('text/plain', text);"
                + " document.querySelector('.monaco-editor textarea').dispatchEvent(new ClipboardEvent('paste',"
                + " { clipboardData: data, bubbles: true, cancelable: true })); }");
        page.waitForSelector(".editor-tab.dirty[data-path='main.py']");
        page.click("[data-action=run]");
        ide.waitForTerminal("Not run: main.py has unsaved changes that could not be saved");
        page.waitForFunction("() => document.querySelector('[data-status=run]').textContent.startsWith('Not run: main.py not saved')");
        // The limit the server refused it by, in bytes and in a size a person reads, in both places.
        Matcher named = Pattern.compile("(?:larger than|at most) (\\d+) bytes \\((\\d+(?:\\.\\d)? MB)\\)").matcher(terminalText());
        assertThat(named.find()).as("a limit named in %s", terminalText()).isTrue();
        long limitBytes = Long.parseLong(named.group(1));
        assertThat(limitBytes).isBetween(MAX_FILE_BYTES, 5L * 1024 * 1024);
        assertThat(page.textContent("[data-status=run]")).contains(named.group(1) + " bytes (" + named.group(2) + ")");
        assertThat(page.getAttribute("[data-status=run]", "class")).contains("error");
        assertThat(page.getAttribute("body", "data-running")).isEqualTo("false");
        // Nothing typed is lost: the tab still has its unsaved mark.
        assertThat(page.isVisible(".editor-tab.dirty[data-path='main.py']")).isTrue();
    }

    @Test
    void aFileWhoseChangesCannotBeSavedBlocksTheRunNamingIt() {
        ide.register(baseUrl, "unsaved");
        ide.createProject("Offline", "python");
        ide.setEditorText("import helper\nprint(helper.GREETING)\n");
        newFile("helper.py");
        ide.setEditorText("GREETING = 'hello from helper'\n");
        page.waitForSelector(".editor-tab.dirty[data-path='helper.py']");
        // The server cannot be reached for that file: its changes cannot be saved.
        page.route("**/api/projects/*/files/helper.py", route -> {
            if ("PUT".equals(route.request().method())) {
                route.abort("connectionrefused");
            } else {
                route.resume();
            }
        });
        page.click("[data-action=run]");
        ide.waitForTerminal("Not run: helper.py has unsaved changes that could not be saved: Cannot reach the CloudRun server");
        assertThat(page.textContent("[data-status=run]")).startsWith("Not run: helper.py not saved - Cannot reach the CloudRun server");
        assertThat(page.isVisible(".editor-tab.dirty[data-path='helper.py']")).isTrue();
        assertThat(terminalText()).doesNotContain("▶ main.py");

        // Reachable again: the same Run saves the file and runs.
        page.unroute("**/api/projects/*/files/helper.py");
        page.click("[data-action=run]");
        ide.waitForTerminal("hello from helper");
        ide.waitForTerminal("OK · exit code 0");
        page.waitForSelector(".editor-tab.dirty", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
    }

    @Test
    void runRunsTheEntryFileWhicheverTabIsActiveAndTheEntryIsChangedInTheTitleBar() {
        ide.register(baseUrl, "entry");
        ide.createProject("Multi", "python");
        ide.setEditorText("import helper\nprint('main says', helper.GREETING)\n");
        newFile("helper.py");
        ide.setEditorText("GREETING = 'hi'\nif __name__ == '__main__':\n    print('helper run on its own')\n");
        page.waitForSelector(".editor-tab.active[data-path='helper.py']");
        assertThat(page.inputValue("[data-testid=entry-select]")).isEqualTo("main.py");

        page.click("[data-action=run]");
        ide.waitForTerminal("main says hi");
        ide.waitForRunEnd();
        assertThat(terminalText()).contains("▶ main.py").doesNotContain("helper run on its own");

        // The entry is the project's: chosen in the title bar, kept over a reload.
        page.selectOption("[data-testid=entry-select]", "helper.py");
        page.waitForCondition(() -> projectEntry("Multi").equals("helper.py"));
        page.reload();
        ide.waitForIde();
        page.waitForSelector("body[data-editor-ready=true]");
        assertThat(page.inputValue("[data-testid=entry-select]")).isEqualTo("helper.py");
        page.click(".tree-row[data-path='main.py']");
        page.waitForSelector(".editor-tab.active[data-path='main.py']");
        page.click("[data-action=run]");
        ide.waitForTerminal("helper run on its own");
        ide.waitForRunEnd();
    }

    @Test
    void switchingTheLanguageAddsNoFileUnasked() {
        ide.register(baseUrl, "switch");
        ide.createProject("Switcher", "python");
        page.selectOption("select[aria-label=Language]", "javascript");
        page.waitForSelector(".modal:has-text('Add main.js')");
        page.click(".modal .button.secondary");
        page.waitForSelector(".modal", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
        assertThat(page.inputValue("select[aria-label=Language]")).isEqualTo("python");
        assertThat(page.querySelector(".tree-row[data-path='main.js']")).isNull();
        assertThat(projectJson("Switcher")).doesNotContain("\"main.js\"");
        assertThat(projectEntry("Switcher")).isEqualTo("main.py");

        // Asked and agreed: the starter is added and becomes the entry; back to Python, main.py is the entry again.
        page.selectOption("select[aria-label=Language]", "javascript");
        page.click(".modal .button.danger:has-text('Add main.js')");
        page.waitForSelector(".tree-row[data-path='main.js']");
        page.waitForFunction("() => document.querySelector('[data-testid=entry-select]').value === 'main.js'");
        page.selectOption("select[aria-label=Language]", "python");
        page.waitForFunction("() => document.querySelector('[data-testid=entry-select]').value === 'main.py'");
        assertThat(page.querySelector(".modal")).isNull();
        assertThat(projectEntry("Switcher")).isEqualTo("main.py");
    }

    @Test
    void projectNamesAreShownWhole() {
        ide.register(baseUrl, "names");
        String name = "Data analysis of the weather";
        ide.createProject(name, "python");
        ide.createProject("Dice", "javascript");
        page.click(".activity-item[data-view=projects]");
        page.waitForSelector(".project-open[data-project='" + name + "'] .project-name");
        for (String shown : List.of(name, "Dice")) {
            String selector = ".project-open[data-project='" + shown + "'] .project-name";
            assertThat(page.textContent(selector)).isEqualTo(shown);
            assertThat(page.evaluate("s => { const e = document.querySelector(s);"
                    + " return e.scrollWidth <= e.clientWidth + 1 && e.getBoundingClientRect().width > 20; }", selector))
                    .as("%s shown whole", shown).isEqualTo(true);
        }
    }

    @Test
    void theEditorAreaSaysItIsLoadingWhileMonacoComesOverASlowLink() {
        ide.register(baseUrl, "slow");
        ide.createProject("Slow", "python");
        // A slow link: the editor's chunk is held back until the test has looked at the page.
        List<Route> held = new java.util.concurrent.CopyOnWriteArrayList<>();
        page.route("**/assets/editor-*.js", held::add);
        page.reload();
        page.waitForSelector("[data-testid=editor-loading]");
        assertThat(page.textContent(".editor-message")).contains("Loading editor…");
        assertThat(page.textContent("[data-status=editor]")).isEqualTo("Loading editor…");
        assertThat(page.getAttribute("body", "data-editor-ready")).isNull();
        assertThat(held).as("the editor's chunk was asked for").isNotEmpty();

        held.forEach(Route::resume);
        page.waitForSelector("body[data-editor-ready=true]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
        page.waitForSelector(".editor-tab.active[data-path='main.py']");
        page.waitForSelector("[data-testid=editor-loading]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
        assertThat(page.isVisible("[data-status=editor]")).isFalse();
        page.waitForFunction("() => (document.querySelector('.monaco-editor .view-lines')?.textContent ?? '')"
                + ".replace(/\\u00a0/g, ' ').includes('What is your name?')");
    }

    // ------------------------------------------------------------------ steps

    private void newFile(String name) {
        page.click("[aria-label='New file']");
        page.fill(".modal input", name);
        page.press(".modal input", "Enter");
        page.waitForSelector(".editor-tab.active[data-path='" + name + "']");
    }

    private String terminalText() {
        return (String) page.evaluate("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n')");
    }

    private String projectJson(String name) {
        try {
            String token = (String) page.evaluate("() => localStorage.getItem('cloudrun.token')");
            HttpClient client = HttpClient.newHttpClient();
            HttpResponse<String> list = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "api/projects"))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            Matcher matcher = Pattern.compile("\"id\":\"([^\"]+)\",\"name\":\"" + Pattern.quote(name) + "\"").matcher(list.body());
            assertThat(matcher.find()).as("project %s in %s", name, list.body()).isTrue();
            return client.send(HttpRequest.newBuilder(URI.create(baseUrl + "api/projects/" + matcher.group(1)))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String projectEntry(String name) {
        Matcher matcher = Pattern.compile("\"entry\":\"([^\"]*)\"").matcher(projectJson(name));
        return matcher.find() ? matcher.group(1) : "";
    }
}
