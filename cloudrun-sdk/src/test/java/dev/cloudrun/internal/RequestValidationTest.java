package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.internal.ScriptedBackend.Script;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the runner refuses before any backend is asked to do anything: these checks are the
 * engine's, the same for every backend, so they run once here and not in the backend test kit.
 */
class RequestValidationTest {
    private final ScriptedBackend backend = new ScriptedBackend(step -> Script.prints("1\n"));
    private final CodeRunner runner = CodeRunner.create(config -> config.backend(backend));

    @AfterEach
    void nothingWasOpenedForARefusedRequest() {
        runner.close();
        assertThat(backend.open).hasValue(0);
    }

    private RunResult run(RunRequest request) {
        return runner.run(request);
    }

    @Test
    void writingStdinToANonInteractiveRunIsRefused() {
        try (Execution execution = runner.start(RunRequest.of("python", "print(1)"), RunListener.NONE)) {
            assertThatThrownBy(() -> execution.writeStdin("x")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("withInteractiveStdin");
            assertThat(execution.await().status()).isEqualTo(Status.OK);
        }
    }

    @Test
    void unknownLanguageIsRejectedNamingTheField() {
        assertThatThrownBy(() -> run(RunRequest.of("cobol", "DISPLAY 'HI'.")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("language");
                    assertThat(e.getMessage()).contains("cobol").contains("python");
                });
    }

    @Test
    void emptySourceIsRejected() {
        assertThatThrownBy(() -> run(RunRequest.of("python", "   \n")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("source"));
    }

    @Test
    void badFileNamesAreRejected() {
        for (String name : List.of("/etc/passwd", "../escape.txt", "a/../../b", "main.py", "", "a//b")) {
            assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)").withFile(name, "x")))
                    .as(name)
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("files[" + name + "]"));
        }
    }

    @Test
    void limitsOutOfRangeAreRejected() {
        assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)")
                .withLimits(limits -> limits.withMemoryBytes(0))))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("limits.memoryBytes"));
        assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(-1)))))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("limits.wallTime"));
        assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)")
                .withLimits(limits -> limits.withMaxProcesses(100_000))))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("limits.maxProcesses"));
    }

    @Test
    void stackLimitOutOfRangeIsRejectedNamingTheField() {
        for (long bytes : new long[] {0, 1024, (1L << 30) + 1}) {
            assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)")
                    .withLimits(limits -> limits.withStackBytes(bytes))))
                    .as("%d bytes", bytes)
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.field()).isEqualTo("limits.stackBytes"));
        }
        assertThat(run(RunRequest.of("python", "print(1)").withLimits(limits -> limits.withStackBytes(1L << 30))).status())
                .isEqualTo(Status.OK);
    }

    @Test
    void commandOverridesAreCheckedNamingTheField() {
        RunRequest request = RunRequest.of("c", "int main(void) { return 0; }");
        assertThatThrownBy(() -> request.withCompileCommand(List.of()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("compileCommand"));
        assertThatThrownBy(() -> request.withRunCommand(List.of("./main", "a\0b")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("runCommand[1]"));
        assertThatThrownBy(() -> request.withRunCommand(java.util.Collections.nCopies(257, "x")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("runCommand");
                    assertThat(e.getMessage()).contains("256");
                });
        assertThatThrownBy(() -> request.withCompileCommand(List.of("gcc", "x".repeat(4097))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("compileCommand[1]");
                    assertThat(e.getMessage()).contains("4096");
                });
        assertThatThrownBy(() -> request.withCompileCommand(List.of("")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("compileCommand[0]"));
        assertThat(request.withCompileCommand(List.of("gcc", "x".repeat(4096))).compileCommand()).isPresent();
    }

    @Test
    void aCompileCommandForALanguageWithoutACompileStepIsRefused() {
        assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)").withCompileCommand(List.of("python3", "-m", "py_compile", "{file}"))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("compileCommand");
                    assertThat(e.getMessage()).contains("python").contains("no compile step");
                });
    }

    @Test
    void sourceThatIsNotUtf8IsRejected() {
        byte[] latin1 = "print('caf\u00e9')".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> run(RunRequest.of("python", latin1)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("source"));
        assertThatThrownBy(() -> RunRequest.of("python", "print('\uD800')"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("source"));
    }

    @Test
    void previewOnlyLanguageIsNeverExecuted() {
        assertThatThrownBy(() -> run(RunRequest.of("html", "<h1>hi</h1>")))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("language");
                    assertThat(e.getMessage()).contains("preview-only");
                });
    }

    @Test
    void aRefusedRequestOpensNoSandbox() {
        assertThatThrownBy(() -> run(RunRequest.of("python", "print(1)").withFile("../x", "y")))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(backend.opened).hasValue(0);
    }

    @Test
    void filesHandedOutAreCopies() {
        RunRequest request = RunRequest.of("python", "print(1)").withFile("data.bin", new byte[] {1, 2, 3});
        request.files().get("data.bin")[0] = 9;
        assertThat(request.files().get("data.bin")).containsExactly(1, 2, 3);
    }
}
