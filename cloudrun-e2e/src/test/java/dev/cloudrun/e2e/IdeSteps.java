package dev.cloudrun.e2e;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** What a person does in the IDE, as browser steps shared by the browser tests. */
final class IdeSteps {
    /** Debian's Chromium: Playwright never downloads a browser here. */
    static final Path CHROMIUM = Paths.get("/usr/bin/chromium");

    private static final AtomicInteger USERS = new AtomicInteger();

    /** Reports every Content-Security-Policy violation of a frame to the console, where the steps collect it. */
    private static final String REPORT_VIOLATIONS = "document.addEventListener('securitypolicyviolation', event =>"
            + " console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI"
            + " + ' in ' + event.documentURI));";

    private final Page page;
    private final List<String> policyViolations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile java.util.function.Predicate<String> ignored = text -> false;

    IdeSteps(Page page) {
        this.page = page;
        // The IDE must work under its Content-Security-Policy: a blocked script, style, worker or
        // connection shows as a "Refused to ..." console message or a securitypolicyviolation event.
        page.addInitScript(REPORT_VIOLATIONS);
        page.onConsoleMessage(message -> {
            String text = message.text();
            if (text.startsWith("CSP violation") || text.contains("Refused to") || text.contains("Content Security Policy")) {
                policyViolations.add(text);
            }
        });
    }

    /** @return the Content-Security-Policy violations seen so far, in any frame of the page */
    List<String> policyViolations() {
        return policyViolations.stream().filter(ignored.negate()).toList();
    }

    /** Leaves out, from now on, the violations a test causes on purpose. */
    void ignorePolicyViolations(java.util.function.Predicate<String> expected) {
        ignored = ignored.or(expected);
    }

    /** @return a Playwright that will not try to download browsers */
    static Playwright playwright() {
        return Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
    }

    /** @return headless Chromium with the flags this machine needs */
    static Browser launchChromium(Playwright playwright) {
        return playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(CHROMIUM)
                .setHeadless(true)
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--no-first-run")));
    }

    /**
     * Creates an account through the sign-in screen.
     *
     * @param baseUrl the IDE's address
     * @param prefix the start of the generated user name
     * @return the user name
     */
    String register(String baseUrl, String prefix) {
        if (!page.url().startsWith(baseUrl)) {
            page.navigate(baseUrl);
        }
        page.waitForSelector(".auth-card");
        String username = prefix + USERS.incrementAndGet() + "x" + (System.nanoTime() % 1_000_000);
        page.click(".auth-tab:has-text('Create account')");
        page.fill("input[name=username]", username);
        page.fill("input[name=email]", username + "@example.com");
        page.fill("input[name=password]", "correct horse battery staple");
        page.click("form.auth-form button[type=submit]");
        waitForIde();
        return username;
    }

    /** Waits until the workbench has loaded its projects and shown its first view, which may switch the sidebar. */
    void waitForIde() {
        page.waitForSelector("body[data-ide-ready=true]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
    }

    /** Opens the API keys dialog from the user menu and waits for its content. */
    void openApiKeys() {
        page.click("[data-testid=user-badge]");
        page.click(".menu-item:has-text('API keys')");
        page.waitForSelector(".api-keys-dialog .api-keys");
    }

    void createProject(String name, String language) {
        waitForIde();
        // The Projects button toggles: press it only when the form is not already showing.
        if (!page.isVisible("input[name=project-name]")) {
            page.click(".activity-item[data-view=projects]");
        }
        page.fill("input[name=project-name]", name);
        page.selectOption("select[name=project-language]", language);
        page.click("form.new-project button[type=submit]");
        page.waitForSelector(".explorer-project:has-text('" + name + "')");
        page.waitForSelector("body[data-editor-ready=true]");
        page.waitForSelector(".editor-tab.active");
    }

    /**
     * Turns terminal mode (on by default: the program gets one pseudo-terminal, its output in exact
     * order) on or off in the Settings dialog.
     */
    void setTerminalMode(boolean on) {
        page.click("[data-testid=user-badge]");
        page.click(".menu-item:has-text('Settings')");
        page.waitForSelector("[data-setting=terminal-mode]");
        page.setChecked("[data-setting=terminal-mode]", on);
        page.click(".modal button:has-text('Done')");
    }

    void setEditorText(String text) {
        page.click(".editor-host .view-lines");
        page.keyboard().press("Control+A");
        page.keyboard().press("Delete");
        page.keyboard().insertText(text);
    }

    void waitForTerminal(String text) {
        page.waitForFunction("text => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n').includes(text)", text);
    }

    void waitForRunEnd() {
        page.waitForSelector("body[data-running=false]", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.ATTACHED));
    }
}
