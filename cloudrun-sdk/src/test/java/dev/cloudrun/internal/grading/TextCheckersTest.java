package dev.cloudrun.internal.grading;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CheckResult;
import dev.cloudrun.Checker;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.Verdict;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The built-in checkers' judgements and messages, and the checker program's exit-code rules. */
class TextCheckersTest {
    private static CheckResult check(Checker checker, String output, String answer) {
        return checker.check(new byte[0], output.getBytes(StandardCharsets.UTF_8), answer.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void linesIgnoreTrailingWhitespaceAndTheFinalNewline() {
        assertThat(check(Checker.lines(), "1\n2  \r\n3", "1\n2\n3\n\n").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(Checker.lines(), "1\n2\n41\n", "1\n2\n42\n").message())
                .isEqualTo("line 3: expected `42`, got `41`");
        assertThat(check(Checker.lines(), "1\n", "1\n2\n").message()).isEqualTo("line 2: expected `2`, got end of output");
        assertThat(check(Checker.lines(), "1\n2\n", "1\n").message()).isEqualTo("line 2: expected end of output, got `2`");
        assertThat(check(Checker.lines(), " 1\n", "1\n").verdict()).as("leading space counts").isEqualTo(Verdict.WRONG_ANSWER);
    }

    @Test
    void exactComparesEveryByte() {
        assertThat(check(Checker.exact(), "42\n", "42\n").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(Checker.exact(), "42", "42\n").verdict()).isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(check(Checker.exact(), "42 \n", "42\n").message()).isEqualTo("line 1: expected `42`, got `42 `");
    }

    @Test
    void tokensIgnoreLayout() {
        assertThat(check(Checker.tokens(), "1   2\n\n3", "1 2 3\n").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(Checker.tokens(), "1 2\n4", "1 2 3").message()).isEqualTo("token 3 (line 2): expected `3`, got `4`");
    }

    @Test
    void numbersWithinTolerance() {
        Checker absolute = Checker.numbers(1e-6, 0);
        assertThat(check(absolute, "0.3333333", "0.33333333").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(absolute, "0.334", "0.333").verdict()).isEqualTo(Verdict.WRONG_ANSWER);
        Checker relative = Checker.numbers(0, 1e-3);
        assertThat(check(relative, "1000500", "1000000").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(relative, "yes 1", "yes 1.0000001").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(check(relative, "no 1", "yes 1").verdict()).isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(check(relative, "nan", "1").verdict()).isEqualTo(Verdict.WRONG_ANSWER);
    }

    private static RunResult checkerRun(Status status, int exitCode, String stdout) {
        return RunResult.builder(status).exitCode(exitCode).stdout(stdout.getBytes(StandardCharsets.UTF_8), false)
                .message("exited with code " + exitCode).build();
    }

    @Test
    void checkerProgramExitCodes() {
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.OK, 0, ""), "").verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.OK, 0, "0.25\n"), "").score()).isEqualTo(0.25);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.OK, 0, "ok 0.25\n"), "").score()).isEqualTo(1.0);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.RUNTIME_ERROR, 1, ""), "no").verdict())
                .isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.RUNTIME_ERROR, 2, ""), "").verdict())
                .isEqualTo(Verdict.PRESENTATION_ERROR);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.RUNTIME_ERROR, 3, ""), "bad").verdict())
                .isEqualTo(Verdict.CHECKER_ERROR);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.RUNTIME_ERROR, 139, ""), "").verdict())
                .isEqualTo(Verdict.CHECKER_ERROR);
        assertThat(VerdictRules.fromCheckerProgram(checkerRun(Status.TIME_LIMIT, 1, ""), "").verdict())
                .as("a checker stopped by its limits never judges").isEqualTo(Verdict.CHECKER_ERROR);
    }

    @Test
    void programVerdictsBeforeTheChecker() {
        assertThat(VerdictRules.fromRun(RunResult.builder(Status.OK).build())).isEmpty();
        assertThat(VerdictRules.fromRun(RunResult.builder(Status.TIME_LIMIT).build())).contains(Verdict.TIME_LIMIT);
        assertThat(VerdictRules.fromRun(RunResult.builder(Status.CANCELLED).build())).contains(Verdict.SKIPPED);
    }
}
