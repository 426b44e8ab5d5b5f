package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Page;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every starter template of the new-project form, as a newcomer meets it in the browser: a fresh
 * project, Run with nothing typed shows the prompt and the waiting-for-input state (the terminal has
 * the focus), a name typed in the terminal ends the run OK with a greeting and gives the focus back to
 * the editor; then the same with the name given up front in the Input tab, where nothing waits. One
 * server, one browser page, one account, so the whole set stays within a couple of minutes.
 */
class TemplatesBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));

    @TempDir
    static Path dataDir;

    private static BrowserHarness harness;
    private static BrowserHarness.Tab tab;
    private static Page page;
    private static IdeSteps ide;
    private static String baseUrl;

    @BeforeAll
    static void startServerBrowserAndAccount() {
        harness = BrowserHarness.start(dataDir, Map.of("CLOUDRUN_WALL_TIME_SECONDS", "30"));
        baseUrl = harness.baseUrl();
        tab = harness.open(1400, 850, 45_000);
        page = tab.page();
        ide = tab.ide();
        ide.register(baseUrl, "templates");
        // Records whether the waiting-for-input state ever shows, however briefly.
        page.evaluate("() => { window.sawWaiting = false; new MutationObserver(() => {"
                + " if (document.body.dataset.waitingForInput) window.sawWaiting = true; })"
                + ".observe(document.body, { attributes: true, attributeFilter: ['data-waiting-for-input'] }); }");
    }

    @AfterAll
    static void stopAll() {
        try {
            if (tab != null) {
                tab.close(null);
            }
        } finally {
            if (harness != null) {
                harness.close();
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> everyTemplateAsksForANameAndGreetsIt() throws Exception {
        List<String> offered = offeredTemplates();
        assertThat(offered).as("templates of the new-project form").contains("python", "javascript", "java", "c", "cpp", "bash");
        return offered.stream().map(language -> DynamicTest.dynamicTest(language, () -> runTemplate(language)));
    }

    /** The languages of the new-project form that have a runnable starter program (GET /api/languages says which). */
    private static List<String> offeredTemplates() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "api/languages")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = new ObjectMapper().readTree(response.body());
        JsonNode list = body.isArray() ? body : body.get("languages");
        @SuppressWarnings("unchecked")
        List<String> inForm = (List<String>) page.evaluate("() => { const form = [...document.querySelectorAll('select[name=project-language] option')];"
                + " if (form.length === 0) document.querySelector('.activity-item[data-view=projects]').click();"
                + " return [...document.querySelectorAll('select[name=project-language] option')].map(option => option.value); }");
        List<String> templates = new ArrayList<>();
        for (JsonNode language : list) {
            String id = language.get("id").asText();
            if (!language.path("previewOnly").asBoolean(false) && !language.path("template").asText("").isBlank()) {
                assertThat(inForm).as("the form offers %s", id).contains(id);
                templates.add(id);
            }
        }
        return templates;
    }

    private void runTemplate(String language) throws IOException {
        page.evaluate("() => { window.sawWaiting = false; }");
        ide.createProject("Hello " + language, language);
        page.click(".panel-tab[data-tab=terminal]");
        page.click("[aria-label='Clear terminal']");

        // Nothing typed: the prompt shows and the IDE says the program waits, with the terminal focused.
        page.click("[data-action=run]");
        ide.waitForTerminal("What is your name?");
        page.waitForSelector("body[data-waiting-for-input=prompt]");
        assertThat(page.textContent("[data-status=run]"))
                .isEqualTo("● Waiting for input - type in the terminal and press Enter (Ctrl+D ends input)");
        assertThat(page.isVisible(".terminal-hint")).isTrue();
        assertThat(page.textContent(".terminal-hint")).contains("waiting for input");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("templates-" + language + "-waiting.png")));
        assertThat(page.evaluate("() => document.querySelector('.terminal-host').contains(document.activeElement)"))
                .as("the terminal has the focus while the program waits").isEqualTo(true);
        // Typed without clicking anywhere: the keys go to the terminal.
        page.keyboard().type("Ada");
        page.keyboard().press("Enter");
        ide.waitForTerminal("Hello, Ada!");
        ide.waitForRunEnd();
        ide.waitForTerminal("OK · exit code 0");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OK");
        assertThat(page.isVisible(".terminal-hint")).isFalse();
        assertThat(page.getAttribute("body", "data-waiting-for-input")).isNull();
        page.waitForFunction("() => document.querySelector('.monaco-editor')?.contains(document.activeElement)");

        // The name given up front in the Input tab: the program finishes by itself, nothing waits.
        page.evaluate("() => { window.sawWaiting = false; }");
        page.click("[aria-label='Clear terminal']");
        page.click(".panel-tab[data-tab=input]");
        page.fill(".stdin-input", "Grace\n");
        page.click("[data-action=run]");
        ide.waitForTerminal("Hello, Grace!");
        ide.waitForRunEnd();
        ide.waitForTerminal("OK · exit code 0");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OK");
        assertThat(page.evaluate("() => window.sawWaiting")).as("a waiting state with the input given up front").isEqualTo(false);
        page.click(".panel-tab[data-tab=input]");
        page.fill(".stdin-input", "");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("templates-" + language + ".png")));
    }
}
