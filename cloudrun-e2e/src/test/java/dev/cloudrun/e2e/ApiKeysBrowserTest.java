package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
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
 * The IDE's API keys dialog in headless Chromium against a real server: a person makes a key, a
 * machine client (the JDK's HTTP client here) uses the token read off the page, and revoking it in
 * the dialog locks the client out.
 */
class ApiKeysBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

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
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("keys-" + test.getTestMethod().orElseThrow().getName() + ".png")));
        List<String> violations = ide.policyViolations();
        context.close();
        assertThat(violations).as("Content-Security-Policy violations").isEmpty();
    }

    @Test
    void makeAKeyUseItFromAnotherProgramAndRevokeIt() throws Exception {
        ide.register(baseUrl, "keys");
        ide.openApiKeys();
        page.waitForSelector(".api-key-list:has-text('No API keys yet.')");

        String gradeKey = makeKey("Moodle", List.of("grade"));
        assertThat(gradeKey).matches("cr_[a-z0-9]{16}_[A-Za-z0-9_-]{43}");
        assertThat(page.inputValue("input[name=api-key-signing-secret]")).startsWith("whsec_");
        assertThat(page.textContent(".api-key-reveal")).contains("you will not see them again");
        // The key authenticates, but only where its scope reaches: not key management, not runs.
        HttpResponse<String> listWithKey = call("GET", "api/keys", gradeKey, null);
        assertThat(listWithKey.statusCode()).isEqualTo(403);
        assertThat(errorCode(listWithKey)).isEqualTo("session_required");
        HttpResponse<String> runWithGradeKey = call("POST", "api/runs", gradeKey, Map.of("language", "python", "source", "print(1)"));
        assertThat(runWithGradeKey.statusCode()).isEqualTo(403);
        assertThat(errorCode(runWithGradeKey)).isEqualTo("scope_missing");
        page.click(".api-key-reveal button:has-text('I have saved them')");
        page.waitForSelector("input[name=api-key-token]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));

        String runKey = makeKey("Runner", List.of("run"));
        HttpResponse<String> run = call("POST", "api/runs", runKey, Map.of("language", "python", "source", "print(6 * 7)"));
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
        assertThat(JSON.readTree(run.body()).path("stdout").asText()).isEqualTo("42\n");
        page.click(".api-key-reveal button:has-text('I have saved them')");

        // Listed with name, scopes and prefix; neither secret is on the page or in the list the server sends.
        page.click(".api-keys-dialog button:has-text('Close')");
        ide.openApiKeys();
        page.waitForSelector(".api-key-row:has-text('Runner') >> text=just now");
        assertThat(page.locator(".api-key-row .api-key-name").allTextContents()).containsExactly("Moodle", "Runner");
        assertThat(page.textContent(".api-key-row:has-text('Moodle') .api-key-scopes-cell")).isEqualTo("grade");
        assertThat(page.textContent(".api-key-row:has-text('Runner') td:nth-child(5)")).as("last used").isEqualTo("just now");
        assertThat(page.textContent(".api-key-row:has-text('Moodle') .api-key-prefix")).isEqualTo(gradeKey.substring(0, 19) + "_…");
        assertThat(page.content()).doesNotContain(gradeKey, secretOf(gradeKey), runKey, secretOf(runKey));
        String session = (String) page.evaluate("() => localStorage.getItem('cloudrun.token')");
        HttpResponse<String> listed = call("GET", "api/keys", session, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("Moodle", "Runner").doesNotContain(secretOf(gradeKey), secretOf(runKey), "whsec_");

        page.click("button[aria-label='Revoke Runner']");
        page.click(".modal[aria-label='Revoke API key'] button:has-text('Revoke')");
        page.waitForSelector(".api-key-row:has-text('Runner')", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
        assertThat(page.locator(".api-key-row .api-key-name").allTextContents()).containsExactly("Moodle");
        HttpResponse<String> revoked = call("POST", "api/runs", runKey, Map.of("language", "python", "source", "print(1)"));
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(errorCode(revoked)).isEqualTo("unauthorized");
    }

    @Test
    void aGuestIsToldToRegisterFirst() {
        page.navigate(baseUrl);
        page.click("text=Continue as guest");
        ide.waitForIde();
        ide.openApiKeys();
        assertThat(page.textContent(".api-keys-dialog")).contains("Guests cannot make API keys: create an account first");
        assertThat(page.isVisible("form.api-key-form")).isFalse();
    }

    /** Makes a key in the open dialog and returns the token it shows. */
    private String makeKey(String name, List<String> scopes) {
        page.fill("input[name=api-key-name]", name);
        for (String scope : List.of("grade", "run")) {
            page.setChecked("input[name=api-key-scope][value=" + scope + "]", scopes.contains(scope));
        }
        page.click("form.api-key-form button:has-text('Make key')");
        page.waitForSelector(".api-key-reveal:has-text('" + name + "') input[name=api-key-token]");
        page.waitForSelector(".api-key-row:has-text('" + name + "')");
        return page.inputValue("input[name=api-key-token]");
    }

    private static HttpResponse<String> call(String method, String path, String token, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String errorCode(HttpResponse<String> response) throws IOException {
        JsonNode body = JSON.readTree(response.body());
        return body.path("error").path("code").asText();
    }

    /** The secret part of {@code cr_<id>_<secret>}. */
    private static String secretOf(String token) {
        return token.substring("cr_".length() + 16 + 1);
    }
}
