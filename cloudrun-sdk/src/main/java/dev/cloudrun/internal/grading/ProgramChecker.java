package dev.cloudrun.internal.grading;

import dev.cloudrun.CheckResult;
import dev.cloudrun.Checker;

/**
 * What {@link Checker#program} returns: the checker program's language and source. It cannot judge
 * on its own; a grading compiles it once and runs it in a sandbox per case ({@link GradingJob}).
 *
 * @param language the checker's language id or alias
 * @param source its source
 */
public record ProgramChecker(String language, String source) implements Checker {
    @Override
    public CheckResult check(byte[] input, byte[] output, byte[] answer) {
        throw new IllegalStateException("a checker program runs in a sandbox: grade with dev.cloudrun.Grader");
    }

    @Override
    public String toString() {
        return "ProgramChecker{" + language + ", " + source.length() + " chars}";
    }
}
