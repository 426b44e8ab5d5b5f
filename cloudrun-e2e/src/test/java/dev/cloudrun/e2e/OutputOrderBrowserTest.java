package dev.cloudrun.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Page;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Output in the order the program wrote it (issue 15, item 2), in Debian's headless Chromium against
 * a real server (SQLite, the local bubblewrap sandbox): Python, C and Node.js programs that write to
 * stdout and stderr alternately, flushing each write, show their lines in exactly that order, in
 * terminal mode (the IDE's default) with no pause between the writes, and with terminal mode turned
 * off in Settings with 50 ms between them (stderr then in red). In terminal mode what a person types
 * is echoed once, by the program's terminal, also for a Node.js readline prompt.
 */
class OutputOrderBrowserTest {
    private static final Path ARTIFACTS = Paths.get(System.getProperty("cloudrun.e2e.artifacts", "target"));
    private static final double TIMEOUT_MS = 30_000;
    private static final int PAIRS = 5;
    private static final Pattern WRITE = Pattern.compile("(out|err)[0-9]");

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
        // Tall, so that the whole run stays in the terminal's rows.
        tab = harness.open(1400, 1400, TIMEOUT_MS);
        page = tab.page();
        ide = tab.ide();
    }

    @AfterEach
    void closePage(TestInfo test) {
        tab.close("order-" + test.getDisplayName()
                .replaceAll("[^A-Za-z0-9]+", "-"));
    }

    /** Programs that write out0, err0, out1, err1... flushing each write, with a pause of {@code %d} ms after each. */
    static Stream<Arguments> programs() {
        return Stream.of(
                // One line: the editor indents typed lines itself.
                Arguments.of("python", "import sys, time\n"
                        + "for i in range(" + PAIRS + "): print(f'out{i}', flush=True); time.sleep(%d / 1000); "
                        + "print(f'err{i}', file=sys.stderr, flush=True); time.sleep(%d / 1000)\n"),
                Arguments.of("c", "#define _POSIX_C_SOURCE 199309L\n#include <stdio.h>\n#include <time.h>\n"
                        + "static void pause_ms(long ms) { struct timespec t = {0, ms * 1000000L}; nanosleep(&t, 0); }\n"
                        + "int main(void) {\n"
                        + "for (int i = 0; i < " + PAIRS + "; i++) {\n"
                        + "printf(\"out%%d\\n\", i); fflush(stdout); pause_ms(%d);\n"
                        + "fprintf(stderr, \"err%%d\\n\", i); fflush(stderr); pause_ms(%d);\n"
                        + "}\nreturn 0;\n}\n"),
                Arguments.of("javascript", "const fs = require('fs');\n"
                        + "const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);\n"
                        + "for (let i = 0; i < " + PAIRS + "; i++) {\n"
                        + "fs.writeSync(1, `out${i}\\n`); pause(%d);\n"
                        + "fs.writeSync(2, `err${i}\\n`); pause(%d);\n"
                        + "}\n"));
    }

    private static List<String> alternating() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
            expected.add("out" + i);
            expected.add("err" + i);
        }
        return expected;
    }

    private void openNewProject(String language) {
        ide.register(baseUrl, "order");
        ide.createProject("Order " + language, language);
    }

    private void runAndWait(String source) {
        ide.setEditorText(source);
        page.click("[data-action=run]");
        ide.waitForTerminal("exit code 0");
        ide.waitForRunEnd();
    }

    @ParameterizedTest(name = "terminal mode, {0}")
    @MethodSource("programs")
    void inTerminalModeAlternatingWritesWithNoPauseShowInTheOrderWritten(String language, String program) {
        openNewProject(language);
        runAndWait(program.formatted(0, 0));

        assertThat(writes(terminalText())).as(terminalText()).containsExactlyElementsOf(alternating());
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OK");
    }

    @ParameterizedTest(name = "pipes, {0}")
    @MethodSource("programs")
    void withTerminalModeOffAlternatingWritesAPauseApartShowInTheOrderWritten(String language, String program) {
        openNewProject(language);
        turnTerminalModeOff();
        // Two pipes are read by two threads: a pause well above a loaded machine's scheduling delay
        // (tens of milliseconds on 2 busy cores) keeps the order the kernel cannot promise (docs/protocol.md).
        runAndWait(program.formatted(150, 150));

        assertThat(writes(terminalText())).as(terminalText()).containsExactlyElementsOf(alternating());
        // Apart from stdout, stderr shows in red (xterm's fg-1).
        assertThat(String.join("", terminalSpans("xterm-fg-1"))).contains("err0").contains("err4").doesNotContain("out");
    }

    @Test
    void inTerminalModeTypedInputIsEchoedOnceForPythonAndForNodeReadline() {
        openNewProject("python");
        ide.setEditorText("name = input('What is your name? ')\nprint(f'Hello, {name}!')\n");
        page.click("[data-action=run]");
        ide.waitForTerminal("What is your name?");
        page.click(".terminal-host");
        page.keyboard().type("Adx");
        page.keyboard().press("Backspace");
        page.keyboard().type("a");
        page.keyboard().press("Enter");
        ide.waitForTerminal("Hello, Ada!");
        ide.waitForRunEnd();
        assertThat(terminalText()).contains("What is your name? Ada\n").doesNotContain("AdaAda").doesNotContain("Adx");

        ide.createProject("Readline", "javascript");
        ide.setEditorText("const readline = require('readline');\n"
                + "const rl = readline.createInterface({ input: process.stdin, output: process.stdout });\n"
                + "rl.question('Your name? ', (name) => { console.log(`Hi, ${name}!`); rl.close(); });\n");
        page.click("[data-action=run]");
        ide.waitForTerminal("Your name?");
        page.click(".terminal-host");
        page.keyboard().type("Bob");
        page.keyboard().press("Enter");
        ide.waitForTerminal("Hi, Bob!");
        ide.waitForRunEnd();
        assertThat(terminalText()).contains("Your name? Bob").doesNotContain("BobBob");
        assertThat(page.textContent("[data-status=run]")).isEqualTo("OK");
    }

    private void turnTerminalModeOff() {
        page.click("[data-testid=user-badge]");
        page.click(".menu-item:has-text('Settings')");
        assertThat(page.isChecked("[data-setting=terminal-mode]")).as("terminal mode is on by default").isTrue();
        page.click(".modal button:has-text('Done')");
        ide.setTerminalMode(false);
    }

    private static List<String> writes(String text) {
        List<String> found = new ArrayList<>();
        Matcher matcher = WRITE.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group());
        }
        return found;
    }

    private String terminalText() {
        return (String) page.evaluate("() => [...document.querySelectorAll('.xterm-rows > div')]"
                + ".map(row => row.textContent.replace(/\\u00a0/g, ' ').replace(/\\s+$/, '')).join('\\n')");
    }

    @SuppressWarnings("unchecked")
    private List<String> terminalSpans(String cssClass) {
        return (List<String>) page.evaluate("cls => [...document.querySelectorAll('.xterm-rows span.' + cls)].map(s => s.textContent)",
                cssClass);
    }
}
