package dev.cloudrun.internal.grading;

import dev.cloudrun.CheckResult;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.Verdict;
import java.util.Optional;

/**
 * Decides a case's verdict, as one ordered list of rules; the first that applies wins.
 */
public final class VerdictRules {
    private VerdictRules() { }

    /**
     * The verdict the program's run decides on its own, before any checker.
     *
     * @param result the program's run
     * @return the verdict, or empty when the program ended well and its output must be checked
     */
    public static Optional<Verdict> fromRun(RunResult result) {
        return Optional.ofNullable(switch (result.status()) {
            case CANCELLED -> Verdict.SKIPPED;
            case INTERNAL_ERROR -> Verdict.INTERNAL_ERROR;
            case COMPILE_ERROR -> Verdict.COMPILE_ERROR;
            case TIME_LIMIT -> Verdict.TIME_LIMIT;
            case MEMORY_LIMIT -> Verdict.MEMORY_LIMIT;
            case OUTPUT_LIMIT -> Verdict.OUTPUT_LIMIT;
            case RUNTIME_ERROR -> Verdict.RUNTIME_ERROR;
            case OK -> null;
        });
    }

    /**
     * A checker program's verdict under testlib's conventions.
     *
     * @param checkerRun the checker's run
     * @param message what it said (stderr, else stdout)
     * @return the result: exit 0 accepted (with the partial score its stdout starts with, if any),
     *     1 wrong answer, 2 presentation error, anything else (3, a crash, a limit) a checker error
     */
    public static CheckResult fromCheckerProgram(RunResult checkerRun, String message) {
        if (checkerRun.status() == Status.TIME_LIMIT || checkerRun.status() == Status.MEMORY_LIMIT
                || checkerRun.status() == Status.OUTPUT_LIMIT || checkerRun.status() == Status.INTERNAL_ERROR
                || checkerRun.status() == Status.CANCELLED) {
            return CheckResult.checkerError("the checker failed: " + checkerRun.message());
        }
        return switch (checkerRun.exitCode()) {
            case 0 -> partialScore(checkerRun.stdout())
                    .map(score -> CheckResult.partial(score, message))
                    .orElseGet(() -> new CheckResult(Verdict.ACCEPTED, 1, message));
            case 1 -> CheckResult.wrongAnswer(message);
            case 2 -> CheckResult.presentationError(message);
            case 3 -> CheckResult.checkerError("the checker failed (exit 3): " + message);
            default -> CheckResult.checkerError("the checker failed: " + checkerRun.message()
                    + (message.isEmpty() ? "" : ": " + message));
        };
    }

    private static Optional<Double> partialScore(String stdout) {
        String first = stdout.strip().split("\\s+", 2)[0];
        if (!first.matches("(0|1)?(\\.\\d+)?|1") || first.isEmpty()) {
            return Optional.empty();
        }
        double value = Double.parseDouble(first);
        return value >= 0 && value <= 1 ? Optional.of(value) : Optional.empty();
    }
}
