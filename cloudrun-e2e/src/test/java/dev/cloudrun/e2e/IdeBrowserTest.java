package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Frame;
import com.microsoft.playwright.Mouse;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.options.BoundingBox;
import com.microsoft.playwright.options.FilePayload;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.tck.LocalPackageIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * The browser IDE in Debian's headless Chromium against a real server (SQLite in a temporary folder,
 * the local bubblewrap sandbox): what a person does at http://localhost:8080, click by click.
 */
class IdeBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;

    @TempDir
    static Path dataDir;

    private static CloudRunServer server;
    private static Playwright playwright;
    private static Browser browser;
    private static String baseUrl;
    private static LocalPackageIndex packageIndex;

    private BrowserContext context;
    private Page page;
    private IdeSteps ide;

    @BeforeAll
    static void startServerAndBrowser() {
        try {
            // PyPI is out of reach here: packages come from a PEP 503 index the test serves on loopback.
            packageIndex = new LocalPackageIndex(InetAddress.getLoopbackAddress(), "cloudrun-missing-module",
                    "cloudrun_missing_module", "hi from the wheel");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = CloudRunServer.create(ServerConfig.of(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_WALL_TIME_SECONDS", "30",
                "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000",
                "CLOUDRUN_PYPI_INDEX_URL", packageIndex.url()))).start();
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
        if (packageIndex != null) {
            packageIndex.close();
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
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-" + test.getTestMethod().orElseThrow().getName() + ".png")));
        List<String> violations = ide.policyViolations();
        context.close();
        assertThat(violations).as("Content-Security-Policy violations").isEmpty();
    }

    @Test
    void registerRunAnInteractiveProgramAndSeeColouredOutput() throws IOException {
        register();
        // With terminal mode (the default) stderr is part of the terminal's one stream: off, it shows apart, in red.
        ide.setTerminalMode(false);
        ide.createProject("Greeter", "python");
        ide.setEditorText("import sys\n"
                + "name = input('What is your name? ')\n"
                + "print(f'\\033[32mHello, {name}!\\033[0m')\n"
                + "print('a warning', file=sys.stderr)\n");
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("What is your name?");
        page.click(".terminal-host");
        page.keyboard().type("Ada");
        page.keyboard().press("Enter");
        ide.waitForTerminal("Hello, Ada!");
        ide.waitForTerminal("OK · exit code 0");
        ide.waitForRunEnd();

        // The greeting is green (ANSI 32 -> xterm's fg-2 class); stderr shows red (fg-1).
        assertThat(terminalSpans("xterm-fg-2")).anyMatch(text -> text.contains("Hello, Ada!"));
        assertThat(terminalSpans("xterm-fg-1")).anyMatch(text -> text.contains("a warning"));
        assertThat(terminalText()).contains("What is your name? Ada").contains("OK · exit code 0");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OK");
        assertThat(page.textContent("[data-status=exit]")).isEqualTo("exit 0");
        assertThat(page.textContent("[data-status=memory]")).contains("peak");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("ide-after-run.png")));
    }

    @Test
    void inputGivenUpFrontInTheInputTab() {
        register();
        ide.createProject("Adder", "python");
        ide.setEditorText("a = int(input())\nb = int(input())\nprint('sum', a + b)\n");
        page.click(".panel-tab[data-tab=input]");
        page.fill(".stdin-input", "20\n22\n");
        page.click("[data-action=run]");
        ide.waitForTerminal("sum 42");
        ide.waitForRunEnd();
        assertThat(page.isVisible(".terminal-host")).isTrue();

        page.click(".panel-tab[data-tab=ai]");
        assertThat(page.textContent(".ai-pane")).contains("not configured");
    }

    @Test
    void aMissingModuleOffersInstallAndRerun() {
        register();
        ide.createProject("Needs", "python");
        ide.setEditorText("import cloudrun_missing_module\nprint(cloudrun_missing_module.hello())\n");
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("RUNTIME_ERROR");
        page.waitForSelector("[data-action=install-rerun]:visible");
        assertThat(page.textContent("[data-action=install-rerun]")).isEqualTo("Install cloudrun_missing_module & Re-run");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("RUNTIME_ERROR");
        // In terminal mode (the default) the traceback is part of the terminal's one stream.
        assertThat(terminalText()).contains("No module named");

        // Install & Re-run: the server installs the package in its own sandbox step, then runs the program again.
        long downloads = packageIndex.downloads();
        page.click("[data-action=install-rerun]");
        ide.waitForTerminal("Installing cloudrun_missing_module");
        ide.waitForTerminal("hi from the wheel");
        page.waitForFunction("() => document.querySelector('[data-status=run]').textContent === 'OK'");
        assertThat(packageIndex.downloads()).isEqualTo(downloads + 1);
        assertThat(page.isVisible("[data-action=install-rerun]")).isFalse();

        // The project keeps the package: the next run needs no install.
        page.keyboard().press("Control+Enter");
        page.waitForFunction("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".filter(row => row.textContent.includes('hi from the wheel')).length >= 2");
        page.waitForFunction("() => document.querySelector('[data-status=run]').textContent === 'OK'");
        assertThat(packageIndex.downloads()).isEqualTo(downloads + 1);
    }

    @Test
    void stopAnEndlessLoop() {
        register();
        ide.createProject("Forever", "python");
        ide.setEditorText("import time\nprint('looping', flush=True)\nwhile True: time.sleep(0.05)\n");
        page.click("[data-action=run]");
        ide.waitForTerminal("looping");
        assertThat(page.getAttribute("body", "data-running")).isEqualTo("true");
        page.click("[data-action=stop]");
        ide.waitForTerminal("CANCELLED");
        ide.waitForRunEnd();
        assertThat(page.textContent("[data-status=run]")).isEqualTo("CANCELLED");
    }

    @Test
    void stopWithTheKeyboardShortcut() {
        register();
        ide.createProject("Shortcut", "python");
        ide.setEditorText("import time\nprint('waiting', flush=True)\ntime.sleep(60)\n");
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("waiting");
        page.keyboard().press("Control+Shift+S");
        ide.waitForTerminal("CANCELLED");

        page.keyboard().press("F1");
        page.waitForSelector(".help-overlay");
        assertThat(page.textContent(".help-overlay")).contains("Ctrl/Cmd + Enter").contains("Ctrl/Cmd + Shift + S")
                .contains("Ctrl/Cmd + K").contains("Ctrl/Cmd + S");
        page.keyboard().press("Escape");
        page.waitForSelector(".help-overlay", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));

        page.keyboard().press("Control+K");
        page.waitForFunction("() => !document.querySelector('.xterm-rows').textContent.includes('CANCELLED')");
    }

    @Test
    void aTokenPastHalfItsLifeIsRenewedWhileTheIdeIsOpen() throws IOException {
        register();
        String subject = JWT.decode(storedToken()).getSubject();
        // The same account signed in six days ago: its token has a day left.
        byte[] secret = Files.readString(dataDir.resolve("jwt-secret")).trim().getBytes(StandardCharsets.UTF_8);
        String ageing = JWT.create().withIssuer("cloudrun").withSubject(subject).withClaim("guest", false)
                .withIssuedAt(Instant.now().minus(Duration.ofDays(6))).withExpiresAt(Instant.now().plus(Duration.ofDays(1)))
                .sign(Algorithm.HMAC256(secret));
        page.evaluate("token => localStorage.setItem('cloudrun.token', token)", ageing);
        page.reload();
        ide.waitForIde();

        page.waitForFunction("old => localStorage.getItem('cloudrun.token') !== old", ageing);
        DecodedJWT renewed = JWT.decode(storedToken());
        assertThat(renewed.getSubject()).isEqualTo(subject);
        assertThat(renewed.getExpiresAtAsInstant()).isAfter(Instant.now().plus(Duration.ofDays(6)));
        // The IDE goes on with the new token, without a sign-in screen.
        ide.createProject("Renewed", "python");
        assertThat(page.isVisible(".auth-card")).isFalse();
    }

    private String storedToken() {
        return (String) page.evaluate("() => localStorage.getItem('cloudrun.token')");
    }

    @Test
    void guestSessionAndExpiredToken() {
        page.navigate(baseUrl);
        page.click("text=Continue as guest");
        ide.waitForIde();
        assertThat(page.textContent(".user-name")).isEqualTo("Guest");

        // A token the server no longer accepts: the IDE says so instead of failing oddly.
        page.evaluate("() => localStorage.setItem('cloudrun.token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged')");
        page.reload();
        page.waitForSelector(".auth-card");
        assertThat(page.textContent(".form-notice")).contains("session has expired");

        page.click("text=Continue as guest");
        page.click("[data-testid=user-badge]");
        page.click(".menu-item:has-text('Log out')");
        page.waitForSelector(".auth-card");
        assertThat(page.evaluate("() => localStorage.getItem('cloudrun.token')")).isNull();
    }

    @Test
    void savedEditsSurviveAReload() {
        register();
        ide.createProject("Persisted", "python");
        ide.setEditorText("print('saved_marker_42')\n");
        page.waitForSelector(".editor-tab.dirty");
        page.keyboard().press("Control+S");
        page.waitForSelector(".editor-tab.dirty", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
        // Panel sizes are remembered too: widen the side bar, then reload.
        double before = sidebarWidth();
        BoundingBox splitter = page.locator(".splitter.vertical").first().boundingBox();
        page.mouse().move(splitter.x + 2, splitter.y + 200);
        page.mouse().down();
        page.mouse().move(splitter.x + 122, splitter.y + 200, new Mouse.MoveOptions().setSteps(5));
        page.mouse().up();
        assertThat(sidebarWidth()).isCloseTo(before + 120, offset(4.0));

        page.reload();
        page.waitForSelector(".editor-tab[data-path='main.py']");
        assertThat(sidebarWidth()).isCloseTo(before + 120, offset(4.0));
        page.waitForFunction("() => (document.querySelector('.monaco-editor .view-lines')?.textContent ?? '').includes('saved_marker_42')");
        assertThat(page.textContent(".monaco-editor .view-lines")).contains("saved_marker_42");
    }

    @Test
    void explorerCreatesRenamesAndDeletesFilesAndFolders() {
        register();
        ide.createProject("Tree", "python");
        page.click("[aria-label='New folder']");
        answer("lib");
        page.waitForSelector(".tree-row[data-path='lib'][data-kind=folder]");
        page.click(".tree-row[data-path='lib']");
        page.click("[aria-label='New file']");
        answer("util.py");
        page.waitForSelector(".editor-tab.active[data-path='lib/util.py']");

        page.hover(".tree-row[data-path='lib/util.py']");
        page.click("[aria-label='Rename util.py']");
        answer("helpers.py");
        page.waitForSelector(".tree-row[data-path='lib/helpers.py']");
        page.waitForSelector(".editor-tab[data-path='lib/helpers.py']");
        assertThat(page.querySelector(".tree-row[data-path='lib/util.py']")).isNull();

        page.hover(".tree-row[data-path='lib']");
        page.click("[aria-label='Delete lib']");
        page.click(".modal .button.danger");
        page.waitForSelector(".tree-row[data-path='lib']", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
        assertThat(page.querySelector(".editor-tab[data-path='lib/helpers.py']")).isNull();

        // Files dropped on the explorer are uploaded.
        page.evaluate("() => { const transfer = new DataTransfer();"
                + " transfer.items.add(new File(['dropped text'], 'dropped.txt', { type: 'text/plain' }));"
                + " document.querySelector('.sidebar').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true })); }");
        page.waitForSelector(".tree-row[data-path='dropped.txt']");
    }

    @Test
    void anHtmlProjectRendersInASandboxedPreview() {
        register();
        ide.createProject("Site", "html");
        page.waitForSelector(".preview-pane:not([hidden])");
        page.frameLocator(".preview-frame").locator("h1").waitFor();
        assertThat(page.frameLocator(".preview-frame").locator("h1").textContent()).isEqualTo("Hello, CloudRun!");
        // style.css and script.js of the project are applied inside the preview.
        assertThat(page.frameLocator(".preview-frame").locator("h1").evaluate("h => getComputedStyle(h).color"))
                .isEqualTo("rgb(14, 122, 211)");
        page.frameLocator(".preview-frame").locator("text=JavaScript says hello").waitFor();
        // The iframe has an opaque origin: it cannot read the IDE's token.
        assertThat(page.getAttribute(".preview-frame", "sandbox")).contains("allow-scripts").doesNotContain("allow-same-origin");
        Frame preview = page.mainFrame().childFrames().get(0);
        assertThat(preview.evaluate("() => { try { return String(localStorage.getItem('cloudrun.token')); } catch (e) { return 'blocked'; } }"))
                .isEqualTo("blocked");
        assertThat(preview.evaluate("() => { try { return String(parent.document.title); } catch (e) { return 'blocked'; } }"))
                .isEqualTo("blocked");
    }

    @Test
    void anUploadedBinaryFileComesBackByteIdentical() throws Exception {
        register();
        ide.createProject("Assets", "python");
        byte[] bytes = new byte[70_000];
        new Random(42).nextBytes(bytes);
        for (int value = 0; value < 256; value++) {
            bytes[value] = (byte) value;
        }
        // Looks like markup once HTML-decoded: it must show literally.
        String name = "&lt;b&gt;logo (1).bin";
        page.setInputFiles("input[data-testid=upload-input]", new FilePayload(name, "application/octet-stream", bytes));
        page.waitForSelector(".tree-row[data-path='" + name + "']");
        // Names are shown as text, never as HTML.
        assertThat(page.textContent(".tree-row[data-path='" + name + "'] .tree-name")).isEqualTo(name);

        String token = (String) page.evaluate("() => localStorage.getItem('cloudrun.token')");
        String projectId = projectId(token, "Assets");
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl
                        + "api/projects/" + projectId + "/files/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20")))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(bytes);

        // Opening it in the IDE shows a binary placeholder instead of garbling it in the editor.
        page.click(".tree-row[data-path='" + name + "']");
        page.waitForSelector("text=is a binary file");
    }

    @Test
    void megabytesOfOutputKeepThePageResponsiveAndEndWithANotice() {
        register();
        ide.createProject("Flood", "python");
        ide.setEditorText("import sys\nline = 'x' * 99 + '\\n'\nfor i in range(100_000): sys.stdout.write(line)\n");
        page.keyboard().press("Control+Enter");
        page.waitForSelector("body[data-running=true]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
        long slowest = 0;
        do {
            long started = System.nanoTime();
            page.evaluate("() => new Promise(resolve => requestAnimationFrame(() => resolve(1)))");
            slowest = Math.max(slowest, (System.nanoTime() - started) / 1_000_000);
        } while ("true".equals(page.getAttribute("body", "data-running")));
        ide.waitForTerminal("more output than the server keeps");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OUTPUT_LIMIT");
        assertThat(slowest).as("slowest animation frame round trip while output streamed, ms").isLessThan(2_000);
    }

    @Test
    void firstLoadIsFast() throws IOException {
        long started = System.nanoTime();
        page.navigate(baseUrl);
        page.waitForSelector(".auth-card");
        long signInScreenMs = (System.nanoTime() - started) / 1_000_000;
        register();
        started = System.nanoTime();
        page.reload();
        page.waitForSelector("body[data-editor-ready=true]");
        long ideReadyMs = (System.nanoTime() - started) / 1_000_000;
        Object navigation = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                + " return Math.round(n.domContentLoadedEventEnd) + ' ms DOMContentLoaded, ' + Math.round(n.loadEventEnd) + ' ms load'; }");
        String report = "sign-in screen shown after " + signInScreenMs + " ms; IDE with editor ready after " + ideReadyMs
                + " ms (reload with a kept token); navigation timing: " + navigation + "\n";
        Files.createDirectories(ARTIFACTS);
        Files.writeString(ARTIFACTS.resolve("ide-load-time.txt"), report);
        System.out.print("IDE load time: " + report);
        assertThat(signInScreenMs).isLessThan(5_000);
        assertThat(ideReadyMs).isLessThan(10_000);
    }

    @Test
    void theIdeWorksUnderItsContentSecurityPolicyAndAViolationWouldFailTheTests() {
        Response response = page.navigate(baseUrl);
        assertThat(response.headerValue("content-security-policy")).contains("script-src 'self'").contains("frame-ancestors 'none'");
        assertThat(response.headerValue("x-frame-options")).isEqualTo("DENY");
        register();
        ide.createProject("Policy", "python");
        ide.setEditorText("print('under the policy')\n");
        page.keyboard().press("Control+Enter");
        ide.waitForTerminal("under the policy");
        ide.waitForRunEnd();
        assertThat(ide.policyViolations()).as("the IDE, its editor worker, its socket and a run").isEmpty();
        // What every browser test checks after it: an inline script the policy refuses is seen.
        page.evaluate("() => { const script = document.createElement('script'); script.textContent = 'window.injected = 1';"
                + " document.body.append(script); }");
        page.waitForCondition(() -> ide.policyViolations().stream().anyMatch(text -> text.startsWith("CSP violation: script-src")));
        assertThat(page.evaluate("() => window.injected === undefined")).isEqualTo(true);
        // That one was on purpose; the browser may report it twice, and late.
        ide.ignorePolicyViolations(text -> text.contains("inline"));
    }

    // ------------------------------------------------------------------ steps

    private void register() {
        String username = ide.register(baseUrl, "user");
        assertThat(page.textContent(".user-name")).isEqualTo(username);
    }

    private void answer(String text) {
        page.fill(".modal input", text);
        page.press(".modal input", "Enter");
        page.waitForSelector(".modal", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.DETACHED));
    }

    private double sidebarWidth() {
        return ((Number) page.evaluate("() => document.querySelector('.sidebar').getBoundingClientRect().width")).doubleValue();
    }

    private String terminalText() {
        return (String) page.evaluate("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n')");
    }

    @SuppressWarnings("unchecked")
    private List<String> terminalSpans(String cssClass) {
        return (List<String>) page.evaluate("cls => [...document.querySelectorAll('.xterm-rows span.' + cls)].map(s => s.textContent)", cssClass);
    }

    private String projectId(String token, String name) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "api/projects"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
        Matcher matcher = Pattern.compile("\"id\":\"([^\"]+)\",\"name\":\"" + Pattern.quote(name) + "\"").matcher(response.body());
        assertThat(matcher.find()).as("project %s in %s", name, response.body()).isTrue();
        return matcher.group(1);
    }
}
