package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.internal.OutcomeClassifier.Cause;
import dev.cloudrun.internal.ScriptedBackend.Script;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The ordered rules that decide why a step ended, and the verdicts worded from them. */
class OutcomeClassifierTest {
    private static final Limits LIMITS = Limits.defaults().withCpuTime(Duration.ofSeconds(2))
            .withWallTime(Duration.ofSeconds(5)).withMaxOutputBytes(100);
    private static final List<Pattern> PYTHON_MEMORY = List.of(Pattern.compile("(?m)^MemoryError"));

    /** A step report as the supervisor would make it. */
    private static final class Step {
        int exitCode;
        Duration cpu = Duration.ofMillis(10);
        boolean oom;
        String failure;
        boolean cancelled;
        boolean wallTimeout;
        boolean cpuTimeout;
        String stderr = "";
        int stdoutBytes;
        String stdout = "";
        boolean merged;

        StepReport report(StepSpec.Kind kind) {
            OutputCollector output = new OutputCollector(new ListenerGate(RunListener.NONE, "test"),
                    LIMITS.maxOutputBytes(), () -> { }, null);
            byte[] err = stderr.getBytes(StandardCharsets.UTF_8);
            output.accept(StreamKind.STDERR, err, 0, err.length);
            output.accept(StreamKind.STDOUT, new byte[stdoutBytes], 0, stdoutBytes);
            byte[] out = stdout.getBytes(StandardCharsets.UTF_8);
            output.accept(StreamKind.STDOUT, out, 0, out.length);
            StepOutcome outcome = new StepOutcome(exitCode, Duration.ofMillis(50), cpu, 4096, oom, failure);
            return new StepReport(kind, LIMITS, outcome, output, cancelled, wallTimeout, cpuTimeout,
                    cancelled || wallTimeout || cpuTimeout, merged);
        }

        Cause cause() {
            return OutcomeClassifier.cause(report(StepSpec.Kind.RUN), PYTHON_MEMORY);
        }
    }

    @Test
    void theFirstMatchingRuleWinsInTheDocumentedOrder() {
        Step step = new Step();
        step.failure = "the container vanished";
        step.cancelled = true;
        step.wallTimeout = true;
        step.oom = true;
        assertThat(step.cause()).isEqualTo(Cause.BACKEND_FAILURE);
        step.failure = null;
        assertThat(step.cause()).isEqualTo(Cause.CANCELLED);
        step.cancelled = false;
        step.stdoutBytes = 500;
        assertThat(step.cause()).isEqualTo(Cause.OUTPUT_LIMIT);
        step.stdoutBytes = 0;
        step.cpuTimeout = true;
        assertThat(step.cause()).isEqualTo(Cause.WALL_TIME);
        step.wallTimeout = false;
        assertThat(step.cause()).isEqualTo(Cause.CPU_TIME);
        step.cpuTimeout = false;
        assertThat(step.cause()).isEqualTo(Cause.MEMORY);
        step.oom = false;
        assertThat(step.cause()).isEqualTo(Cause.EXITED_OK);
        step.exitCode = 139;
        assertThat(step.cause()).isEqualTo(Cause.SIGNALLED);
        step.exitCode = 3;
        assertThat(step.cause()).isEqualTo(Cause.EXITED_WITH_ERROR);
    }

    @Test
    void theKernelsCpuLimitCountsAsTimeLimit() {
        Step xcpu = new Step();
        xcpu.exitCode = 128 + 24;
        assertThat(xcpu.cause()).isEqualTo(Cause.CPU_TIME);
        Step killedAtTheLimit = new Step();
        killedAtTheLimit.exitCode = 128 + 9;
        killedAtTheLimit.cpu = Duration.ofSeconds(2);
        assertThat(killedAtTheLimit.cause()).isEqualTo(Cause.CPU_TIME);
        killedAtTheLimit.cpu = Duration.ofSeconds(1);
        assertThat(killedAtTheLimit.cause()).isEqualTo(Cause.SIGNALLED);
    }

    @Test
    void aRuntimesOutOfMemoryMessageCountsOnlyWhenTheProgramFailed() {
        Step step = new Step();
        step.stderr = "Traceback (most recent call last):\nMemoryError\n";
        assertThat(step.cause()).isEqualTo(Cause.EXITED_OK);
        step.exitCode = 1;
        assertThat(step.cause()).isEqualTo(Cause.MEMORY);
    }

    @Test
    void withStderrOnStdoutTheOutOfMemoryMessageIsLookedForOnStdout() {
        Step step = new Step();
        step.exitCode = 1;
        step.stdout = "Traceback (most recent call last):\nMemoryError\n";
        assertThat(step.cause()).isEqualTo(Cause.EXITED_WITH_ERROR);
        step.merged = true;
        assertThat(step.cause()).isEqualTo(Cause.MEMORY);
    }

    @Test
    void programVerdictsExplainThemselves() {
        Step step = new Step();
        step.exitCode = 128 + 11;
        OutcomeClassifier.Verdict verdict = OutcomeClassifier.program(step.report(StepSpec.Kind.RUN), PYTHON_MEMORY);
        assertThat(verdict.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(verdict.message()).isEqualTo("was killed by signal 11 (SIGSEGV)");
        step.exitCode = 0;
        step.wallTimeout = true;
        assertThat(OutcomeClassifier.program(step.report(StepSpec.Kind.RUN), PYTHON_MEMORY))
                .isEqualTo(new OutcomeClassifier.Verdict(Status.TIME_LIMIT, "exceeded the wall-clock limit of 5 s"));
    }

    @Test
    void compilerAndInstallerVerdicts() {
        Step ok = new Step();
        assertThat(OutcomeClassifier.compiler(ok.report(StepSpec.Kind.COMPILE), Duration.ofSeconds(30))).isEmpty();
        assertThat(OutcomeClassifier.installer(ok.report(StepSpec.Kind.INSTALL))).isEmpty();
        Step failed = new Step();
        failed.exitCode = 1;
        assertThat(OutcomeClassifier.compiler(failed.report(StepSpec.Kind.COMPILE), Duration.ofSeconds(30)))
                .contains(new OutcomeClassifier.Verdict(Status.COMPILE_ERROR, "compilation failed (exit code 1)"));
        assertThat(OutcomeClassifier.installer(failed.report(StepSpec.Kind.INSTALL)))
                .contains("the installer exited with code 1");
        Step slow = new Step();
        slow.cpuTimeout = true;
        assertThat(OutcomeClassifier.compiler(slow.report(StepSpec.Kind.COMPILE), Duration.ofMillis(1500)))
                .contains(new OutcomeClassifier.Verdict(Status.TIME_LIMIT,
                        "compilation exceeded the compile time limit of 1500 ms"));
        Step oom = new Step();
        oom.oom = true;
        oom.exitCode = 137;
        assertThat(OutcomeClassifier.installer(oom.report(StepSpec.Kind.INSTALL)))
                .contains("the installer exceeded its memory limit");
    }

    @Test
    void aSourceTheInterpreterCannotParseIsASyntaxErrorOnlyWhenItsPatternMatchesAFailedRun() {
        List<Pattern> syntax = dev.cloudrun.LanguageRegistry.loadDefault().require("python").syntaxErrorPatterns();
        OutcomeClassifier.Patterns python = new OutcomeClassifier.Patterns(PYTHON_MEMORY, syntax);
        Step own = new Step();
        own.exitCode = 1;
        own.stderr = "  File \"/work/main.py\", line 1\n    print(\"x\"\n         ^\nSyntaxError: '(' was never closed\n";
        assertThat(OutcomeClassifier.cause(own.report(StepSpec.Kind.RUN), python)).isEqualTo(Cause.SYNTAX_ERROR);
        OutcomeClassifier.Verdict verdict = OutcomeClassifier.program(own.report(StepSpec.Kind.RUN), python);
        assertThat(verdict.status()).isEqualTo(Status.COMPILE_ERROR);
        assertThat(verdict.message()).startsWith("the program has a syntax error");

        Step imported = new Step();
        imported.exitCode = 1;
        // (Short: the test's output cap is 100 bytes.)
        imported.stderr = "Traceback (most recent call last):\n  File \"o.py\", line 1\n    x = (\nSyntaxError: x\n";
        assertThat(OutcomeClassifier.cause(imported.report(StepSpec.Kind.RUN), python)).isEqualTo(Cause.EXITED_WITH_ERROR);

        Step printed = new Step();
        printed.stderr = own.stderr;
        assertThat(OutcomeClassifier.cause(printed.report(StepSpec.Kind.RUN), python)).as("exit code 0").isEqualTo(Cause.EXITED_OK);

        Step otherLanguage = new Step();
        otherLanguage.exitCode = 1;
        otherLanguage.stderr = own.stderr;
        assertThat(otherLanguage.cause()).as("no syntax patterns").isEqualTo(Cause.EXITED_WITH_ERROR);
    }

    /** Through the whole engine, with a backend that reports what a real one would. */
    @Test
    void theEngineReportsTheBackendsOutcomeAsTheClassifiersVerdict() {
        StepOutcome oomKilled = new StepOutcome(137, Duration.ofMillis(80), Duration.ofMillis(70), 256L << 20, true, null);
        ScriptedBackend backend = new ScriptedBackend(step -> step.kind() == StepSpec.Kind.COMPILE
                ? Script.ends(ScriptedBackend.outcome(0), "") : Script.ends(oomKilled, "Killed\n"));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            RunResult result = runner.run(RunRequest.of("c", "int main(void) { return 0; }"));
            assertThat(result.status()).isEqualTo(Status.MEMORY_LIMIT);
            assertThat(result.message()).isEqualTo("exceeded the memory limit of 256 MiB");
            assertThat(result.memoryBytes()).isEqualTo(256L << 20);
            assertThat(result.stderr()).isEqualTo("Killed\n");
            assertThat(backend.steps).extracting(StepSpec::kind).containsExactly(StepSpec.Kind.COMPILE, StepSpec.Kind.RUN);
        }
        ScriptedBackend failingCompiler = new ScriptedBackend(step -> Script.ends(ScriptedBackend.outcome(1),
                "main.c:1: error: expected ';'\n"));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(failingCompiler))) {
            RunResult result = runner.run(RunRequest.of("c", "int main(void) { return 0 }"));
            assertThat(result.status()).isEqualTo(Status.COMPILE_ERROR);
            assertThat(result.compilerOutput()).contains("expected ';'");
            assertThat(failingCompiler.steps).hasSize(1);
        }
    }
}
