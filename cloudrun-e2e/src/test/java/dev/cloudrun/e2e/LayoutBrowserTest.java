package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.BoundingBox;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workbench's layout from a phone to a desktop, in Debian's headless Chromium against a real server
 * (SQLite in a temporary folder, the local bubblewrap sandbox): at 390x844 the editor takes the width,
 * the side bar is a drawer and Run stays in reach; at 1440x900 everything sits side by side.
 */
class LayoutBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;

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

    @AfterEach
    void closePage(TestInfo test) throws IOException {
        if (context == null) {
            return;
        }
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-" + test.getTestMethod().orElseThrow().getName() + ".png")));
        List<String> violations = ide.policyViolations();
        context.close();
        assertThat(violations).as("Content-Security-Policy violations").isEmpty();
    }

    @Test
    void onAPhoneTheEditorTakesTheWidthTheSideBarIsADrawerAndRunWorks() throws IOException {
        open(390, 844);
        // A newcomer has no project: the drawer opens on the Projects view with its form.
        ide.register(baseUrl, "phone");
        ide.createProject("A project with a long name that cannot fit", "python");
        assertThat(page.isVisible(".sidebar")).as("the drawer shows the new project's files").isTrue();
        assertThat(page.isVisible(".drawer-scrim")).isTrue();
        assertThat(page.getAttribute(".drawer-toggle", "aria-expanded")).isEqualTo("true");

        // Choosing a file closes the drawer.
        page.click(".tree-row[data-path='main.py']");
        assertThat(page.isHidden(".sidebar")).as("the drawer closes on choosing a file").isTrue();
        assertThat(page.isHidden(".activity-bar")).isTrue();

        // The menu button opens it again; Escape closes it and gives the focus back to the button.
        page.click(".drawer-toggle");
        page.waitForSelector(".sidebar:visible");
        assertThat(page.getAttribute(".drawer-toggle", "aria-expanded")).isEqualTo("true");
        assertThat(box(".sidebar").x + box(".sidebar").width).as("the drawer fits on the screen").isLessThanOrEqualTo(390);
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-390x844-drawer.png")));
        page.keyboard().press("Escape");
        assertThat(page.isHidden(".sidebar")).as("Escape closes the drawer").isTrue();
        assertThat((Boolean) page.evaluate("() => document.activeElement.classList.contains('drawer-toggle')")).isTrue();
        // A tap beside the open drawer closes it too.
        page.click(".drawer-toggle");
        page.waitForSelector(".sidebar:visible");
        page.mouse().click(380, 400);
        assertThat(page.isHidden(".sidebar")).as("a tap beside the drawer closes it").isTrue();

        // Editor above the panel, both nearly the full width; the title bar does not spill over.
        BoundingBox editor = box(".editor-host");
        BoundingBox panel = box(".panel");
        assertThat(editor.width).as("editor width at 390 px").isGreaterThanOrEqualTo(300);
        assertThat(page.isHidden(".editor-host .minimap")).as("no minimap on a phone").isTrue();
        assertThat(panel.width).isGreaterThanOrEqualTo(380);
        assertThat(panel.y).as("the panel is under the editor").isGreaterThanOrEqualTo(editor.y + editor.height - 1);
        assertThat(editor.height).as("the editor keeps a usable height").isGreaterThanOrEqualTo(250);
        assertThat((Boolean) page.evaluate("() => { const bar = document.querySelector('.titlebar'); return bar.scrollWidth <= bar.clientWidth; }"))
                .as("nothing spills out of the title bar").isTrue();
        assertThat(box(".titlebar").width).as("the title bar fits in 390 px").isLessThanOrEqualTo(390);
        assertThat(box(".statusbar").width).as("the status bar fits in 390 px").isLessThanOrEqualTo(390);
        assertThat((String) page.evaluate("() => { const title = document.querySelector('.project-title');"
                + " return title.scrollWidth + ' > ' + title.clientWidth + ' ' + getComputedStyle(title).textOverflow; }"))
                .as("a long project name is cut with an ellipsis").matches(sizes -> {
                    String[] parts = sizes.split(" ");
                    return Integer.parseInt(parts[0]) > Integer.parseInt(parts[2]) && parts[3].equals("ellipsis");
                });

        runAndSeeOutput(390, 844, "phone");

        // The smallest phones (360 px) and a phone held sideways keep Run on the screen and the editor usable.
        for (int[] size : new int[][] {{360, 640}, {844, 390}}) {
            page.setViewportSize(size[0], size[1]);
            page.waitForFunction("width => document.querySelector('.ide').getBoundingClientRect().width <= width", size[0]);
            assertRunInReach(size[0], size[1]);
            assertThat(box(".titlebar").width).as("the title bar fits in " + size[0] + " px").isLessThanOrEqualTo(size[0]);
            assertThat(box(".editor-host").height).as("the editor keeps some height at " + size[0] + "x" + size[1]).isGreaterThanOrEqualTo(100);
            page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-" + size[0] + "x" + size[1] + ".png")));
        }
    }

    @Test
    void onADesktopEverythingSitsSideBySideAndRunWorks() throws IOException {
        open(1440, 900);
        ide.register(baseUrl, "desk");
        ide.createProject("Desk", "python");
        assertThat(page.isHidden(".drawer-toggle")).as("no drawer on a wide screen").isTrue();
        assertThat(page.isHidden(".drawer-scrim")).isTrue();
        BoundingBox sidebar = box(".sidebar");
        BoundingBox editor = box(".editor-host");
        assertThat(editor.x).as("the editor is beside the side bar").isGreaterThanOrEqualTo(sidebar.x + sidebar.width - 2);
        assertThat(editor.width).isGreaterThanOrEqualTo(900);

        // The activity bar's Explorer button hides the side bar (the editor grows) and shows it again.
        page.click(".activity-item[data-view=explorer]");
        assertThat(page.isHidden(".sidebar")).isTrue();
        assertThat(box(".editor-host").width).isGreaterThan(editor.width);
        page.click(".activity-item[data-view=explorer]");
        page.waitForSelector(".sidebar:visible");
        page.click(".tree-row[data-path='main.py']");
        assertThat(page.isVisible(".sidebar")).as("choosing a file keeps a wide screen's side bar").isTrue();

        runAndSeeOutput(1440, 900, "desktop");

        // On a 4K screen the side bar and the title bar keep their sizes; the editor takes the room.
        page.setViewportSize(3840, 2160);
        page.waitForFunction("() => document.querySelector('.editor-host').getBoundingClientRect().width > 3000");
        assertRunInReach(3840, 2160);
        assertThat(box(".sidebar").width).as("the side bar is not stretched").isEqualTo(sidebar.width);
        assertThat(box(".titlebar").height).isEqualTo(35);
        assertThat(box(".panel").height).as("the panel keeps its height").isLessThanOrEqualTo(300);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-3840x2160.png")));
    }

    private void open(int width, int height) {
        context = browser.newContext(new Browser.NewContextOptions().setViewportSize(width, height));
        context.setDefaultTimeout(TIMEOUT_MS);
        page = context.newPage();
        ide = new IdeSteps(page);
    }

    /** Runs a program that asks for a name, answers it by tapping the terminal and typing, and reads the output in order. */
    private void runAndSeeOutput(int width, int height, String name) throws IOException {
        ide.setEditorText("import sys\nwho = input('Your name? ')\nprint('hello from the ' + who, flush=True)\n"
                + "print('then stderr', file=sys.stderr, flush=True)\nprint('and stdout again')\n");
        Files.createDirectories(ARTIFACTS);
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-" + width + "x" + height + ".png")));
        assertRunInReach(width, height);
        page.click("[data-action=run]");
        ide.waitForTerminal("Your name? ");
        page.click(".terminal-host");
        page.keyboard().type(name);
        page.keyboard().press("Enter");
        ide.waitForTerminal("and stdout again");
        ide.waitForTerminal("OK · exit code 0");
        ide.waitForRunEnd();
        String text = (String) page.evaluate("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ')).join('\\n')");
        assertThat(text.indexOf("hello from the " + name)).as(text).isGreaterThan(text.indexOf("Your name? "));
        assertThat(text.indexOf("then stderr")).as(text).isGreaterThan(text.indexOf("hello from the " + name));
        assertThat(text.indexOf("and stdout again")).as(text).isGreaterThan(text.indexOf("then stderr"));
        page.screenshot(new Page.ScreenshotOptions().setPath(ARTIFACTS.resolve("layout-" + width + "x" + height + "-after-run.png")));
    }

    /** Run must be inside the screen, on top (nothing covers it) and enabled. */
    private void assertRunInReach(int width, int height) {
        BoundingBox run = box("[data-action=run]");
        assertThat(page.isVisible("[data-action=run]")).isTrue();
        assertThat(page.isEnabled("[data-action=run]")).isTrue();
        assertThat(run.x).isGreaterThanOrEqualTo(0);
        assertThat(run.y).isGreaterThanOrEqualTo(0);
        assertThat(run.x + run.width).as("Run's right edge").isLessThanOrEqualTo(width);
        assertThat(run.y + run.height).as("Run's bottom edge").isLessThanOrEqualTo(height);
        assertThat(run.width).as("Run is big enough to press").isGreaterThanOrEqualTo(40);
        assertThat((Boolean) page.evaluate("([x, y]) => !!document.elementFromPoint(x, y)?.closest('[data-action=run]')",
                List.of(run.x + run.width / 2, run.y + run.height / 2))).as("nothing covers Run").isTrue();
    }

    private BoundingBox box(String selector) {
        BoundingBox box = page.locator(selector).first().boundingBox();
        assertThat(box).as(selector + " is laid out").isNotNull();
        return box;
    }
}
