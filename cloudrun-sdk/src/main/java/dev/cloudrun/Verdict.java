package dev.cloudrun;

/** How a test case (or a whole submission) was judged by a {@link Grader}. */
public enum Verdict {
    /** The output is right. */
    ACCEPTED,
    /** The program ran within its limits but its output is wrong. */
    WRONG_ANSWER,
    /** The answer is there but laid out wrongly (only a checker program or function says so). */
    PRESENTATION_ERROR,
    /** The program used more CPU time than the case allows (or its wall-clock limit, 2 × CPU + 1 s). */
    TIME_LIMIT,
    /** The program used more memory than the case allows. */
    MEMORY_LIMIT,
    /** The program exited with a non-zero code or was killed by a signal. */
    RUNTIME_ERROR,
    /** The program wrote more output than the case allows. */
    OUTPUT_LIMIT,
    /** The submission did not compile; nothing ran. */
    COMPILE_ERROR,
    /** The case did not run: an earlier case failed and the grader stops at the first failure. */
    SKIPPED,
    /** The checker could not judge: it did not compile, crashed, exceeded its limits or exited 3. */
    CHECKER_ERROR,
    /** CloudRun itself failed (sandbox lost); grade again. */
    INTERNAL_ERROR;

    /** @return whether this verdict counts as passing */
    public boolean isAccepted() {
        return this == ACCEPTED;
    }
}
