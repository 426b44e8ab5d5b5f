package dev.cloudrun;

import dev.cloudrun.internal.grading.ProgramChecker;
import dev.cloudrun.internal.grading.TextCheckers;
import java.util.Objects;

/**
 * Decides whether a program's output answers a test case. Implement it for a check of your own, or
 * take one of the built-in ones:
 *
 * <pre>{@code
 * Checker.lines()                        // the default: lines, ignoring trailing whitespace
 * Checker.numbers(1e-6, 1e-6)            // numbers within an absolute or relative tolerance
 * Checker.program("cpp", checkerSource)  // a testlib-style checker program, in its own sandbox
 * (input, output, answer) -> ...         // a Java function
 * }</pre>
 *
 * A checker function runs on the grader's thread, in this JVM, on trusted inputs: the bytes were
 * carried out of the sandbox, never read from it. If it throws, the case is {@link Verdict#CHECKER_ERROR}.
 */
@FunctionalInterface
public interface Checker {

    /**
     * Judges one output.
     *
     * @param input the case's input (its stdin, or its input file for file I/O tasks)
     * @param output what the program wrote (its stdout, or its output file)
     * @param answer the expected output
     * @return the verdict, score and message
     */
    CheckResult check(byte[] input, byte[] output, byte[] answer);

    /** @return a checker that accepts only the exact expected bytes */
    static Checker exact() {
        return TextCheckers.EXACT;
    }

    /**
     * @return a checker that compares line by line, ignoring trailing whitespace on each line and
     *     trailing empty lines (as Judge0 compares); the default
     */
    static Checker lines() {
        return TextCheckers.LINES;
    }

    /** @return a checker that compares whitespace-separated tokens, ignoring the layout */
    static Checker tokens() {
        return TextCheckers.TOKENS;
    }

    /**
     * A checker that compares tokens, numbers with a tolerance: a number is right if it is within
     * {@code absolute} of the expected one, or within {@code relative} of it as a share of its size.
     * Tokens that are not numbers must be equal.
     *
     * @param absolute the absolute tolerance, at least 0
     * @param relative the relative tolerance, at least 0
     * @return the checker
     */
    static Checker numbers(double absolute, double relative) {
        if (!(absolute >= 0) || !(relative >= 0)) {
            throw new InvalidRequestException("checker.tolerance", "must be at least 0");
        }
        return TextCheckers.numbers(absolute, relative);
    }

    /**
     * A checker program in any CloudRun language, compiled once per grading and run in its own
     * sandbox for each case with testlib's conventions: {@code checker input output answer} (three
     * files in its workspace), exit 0 accepted, 1 wrong answer, 2 presentation error, 3 checker
     * failure; with exit 0, a number from 0 to 1 as the first word of its stdout is a partial
     * score. Its stderr (or stdout) is the case's message. A checker that does not compile, crashes
     * or exceeds its limits ({@link TestSuite#withCheckerLimits}) makes the case {@link Verdict#CHECKER_ERROR}.
     *
     * @param language the checker's language id or alias
     * @param source its source
     * @return the checker
     */
    static Checker program(String language, String source) {
        return new ProgramChecker(Objects.requireNonNull(language, "language"), Objects.requireNonNull(source, "source"));
    }
}
