package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.cloudrun.server.CloudRunServer;
import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one browser test class shares: a real server (SQLite in a temporary folder, the local
 * bubblewrap sandbox) and Debian's headless Chromium. Each test opens a {@link Tab}: a fresh
 * browser context, so no cookie or stored setting leaks from one test to the next.
 */
final class BrowserHarness implements AutoCloseable {
    /** Where screenshots go. */
    static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));

    private final CloudRunServer server;
    private final Playwright playwright;
    private final Browser browser;

    private BrowserHarness(CloudRunServer server, Playwright playwright, Browser browser) {
        this.server = server;
        this.playwright = playwright;
        this.browser = browser;
    }

    /**
     * Starts the server and the browser.
     *
     * @param dataDir the server's data folder (a test's temporary folder)
     * @param settings server settings over the harness's own (local backend, any port, many registrations)
     * @return the harness; close it after the class's tests
     */
    static BrowserHarness start(Path dataDir, Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(Map.of(
                "CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(),
                "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000"));
        all.putAll(settings);
        assertThat(IdeSteps.CHROMIUM).as("Debian's chromium (scripts/install-deps.sh installs it)").isExecutable();
        CloudRunServer server = CloudRunServer.create(ServerConfig.of(all)).start();
        Playwright playwright = IdeSteps.playwright();
        return new BrowserHarness(server, playwright, IdeSteps.launchChromium(playwright));
    }

    /** @return the IDE's address, ending in {@code /} */
    String baseUrl() {
        return "http://127.0.0.1:" + server.port() + "/";
    }

    /** @return the server */
    CloudRunServer server() {
        return server;
    }

    /**
     * @param width the viewport's width
     * @param height the viewport's height
     * @param timeoutMs how long a step may wait
     * @return a new page in a new browser context
     */
    Tab open(int width, int height, double timeoutMs) {
        BrowserContext context = browser.newContext(new Browser.NewContextOptions().setViewportSize(width, height));
        context.setDefaultTimeout(timeoutMs);
        Page page = context.newPage();
        return new Tab(context, page, new IdeSteps(page));
    }

    @Override
    public void close() {
        browser.close();
        playwright.close();
        server.close();
    }

    /**
     * One test's page.
     *
     * @param context its browser context
     * @param page the page
     * @param ide the steps a person takes on it
     */
    record Tab(BrowserContext context, Page page, IdeSteps ide) {

        /**
         * Takes a screenshot into {@link #ARTIFACTS}, closes the context, and fails the test if the
         * page broke its Content-Security-Policy.
         *
         * @param screenshot the screenshot's file name without {@code .png}, or null for none
         */
        void close(String screenshot) {
            if (screenshot != null) {
                try {
                    Files.createDirectories(ARTIFACTS);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve(screenshot.replaceAll("[^A-Za-z0-9_-]+", "-") + ".png")));
            }
            List<String> violations = ide.policyViolations();
            context.close();
            assertThat(violations).as("Content-Security-Policy violations").isEmpty();
        }
    }
}
