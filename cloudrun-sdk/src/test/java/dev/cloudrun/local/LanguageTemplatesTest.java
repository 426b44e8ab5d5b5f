package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every language's starter template, as the IDE runs it: stdin stays open (the user may type
 * more), the program shows its prompt before anything is typed, and once a name is typed it
 * greets and ends by itself, {@code OK}, well inside its limits. (Node.js's readline keeps a
 * program waiting on a pipe after its question unless it lets go of stdin; bash's {@code read -p}
 * prints its prompt only on a terminal.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LanguageTemplatesTest {
    private CodeRunner runner;

    @BeforeAll
    void start() {
        runner = CodeRunner.create(config -> config.backend(LocalSandboxBackend.create()));
    }

    @AfterAll
    void stop() {
        runner.close();
    }

    static Stream<String> templatedLanguages() {
        List<String> ids = LanguageRegistry.loadDefault().all().stream()
                .filter(language -> !language.previewOnly() && language.attribute("template").isPresent())
                .map(Language::id).toList();
        assertThat(ids).contains("python", "javascript", "java", "c", "cpp", "bash");
        return ids.stream();
    }

    @ParameterizedTest
    @MethodSource("templatedLanguages")
    void theTemplatePromptsWaitsForANameAndEndsByItselfWithStdinStillOpen(String id) throws Exception {
        Language language = LanguageRegistry.loadDefault().require(id);
        StringBuilder stdout = new StringBuilder();
        RunListener listener = new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                if (stream == StreamKind.STDOUT) {
                    synchronized (stdout) {
                        stdout.append(text);
                    }
                }
            }
        };
        RunRequest request = RunRequest.of(id, language.attribute("template").orElseThrow()).withInteractiveStdin()
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(20)));
        try (Execution execution = runner.start(request, listener)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!contains(stdout, "What is your name? ")) {
                assertThat(execution.result()).as("ended before its prompt: " + execution.result().getNow(null)).isNotDone();
                assertThat(System.nanoTime()).as("no prompt within 30 s").isLessThan(deadline);
                Thread.sleep(20);
            }
            execution.writeStdin("Ada\n");
            // Not closed: the program must end by itself, as in the IDE.
            RunResult result = execution.await(Duration.ofSeconds(15)).orElseThrow(
                    () -> new AssertionError(id + " did not end by itself with stdin open"));
            assertThat(result.status()).as(result.message() + "\n" + result.stderr()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("What is your name? Hello, Ada!\n");
        }
    }

    private static boolean contains(StringBuilder text, String part) {
        synchronized (text) {
            return text.indexOf(part) >= 0;
        }
    }
}
