package dev.cloudrun;

import java.time.Duration;
import java.util.Objects;

/**
 * How one test case went.
 *
 * @param name the case's name
 * @param verdict its verdict
 * @param score the points it earned (a case in a group earns its points through the group: 0 here)
 * @param points what it was worth
 * @param wallTime the program's wall-clock time
 * @param cpuTime the program's CPU time
 * @param memoryBytes the program's peak memory, 0 if unknown
 * @param exitCode the program's exit code, -1 if it was killed or did not run
 * @param signal the signal that ended it, 0 if none
 * @param output the start of what the program wrote (stdout, or the output file), capped
 * @param stderr the start of its stderr, capped
 * @param message why: the first difference ("line 3: expected `42`, got `41`"), the checker's
 *     message, or what stopped the program; empty when accepted
 */
public record CaseReport(String name, Verdict verdict, double score, double points, Duration wallTime,
                         Duration cpuTime, long memoryBytes, int exitCode, int signal, String output, String stderr,
                         String message) {
    /** Checks the components. */
    public CaseReport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(cpuTime, "cpuTime");
        output = output == null ? "" : output;
        stderr = stderr == null ? "" : stderr;
        message = message == null ? "" : message;
    }

    /**
     * @param name the case
     * @param verdict why it did not run ({@link Verdict#SKIPPED}, {@link Verdict#COMPILE_ERROR}, ...)
     * @param points what it was worth
     * @param message why
     * @return a report of a case that did not run
     */
    public static CaseReport notRun(String name, Verdict verdict, double points, String message) {
        return new CaseReport(name, verdict, 0, points, Duration.ZERO, Duration.ZERO, 0, -1, 0, "", "", message);
    }

    @Override
    public String toString() {
        return name + ": " + verdict + " (" + cpuTime.toMillis() + " ms CPU, " + (memoryBytes >> 10) + " KiB)"
                + (message.isEmpty() ? "" : " " + message);
    }
}
