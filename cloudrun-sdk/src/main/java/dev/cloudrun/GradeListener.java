package dev.cloudrun;

/**
 * Hears a grading as it goes: the compile, then each case the moment it is judged (cases run in
 * parallel, so they finish in any order). Calls come one at a time, mostly on the thread that
 * called {@link Grader#grade}; a listener that throws is logged and ignored. Every method has an empty default.
 */
public interface GradeListener {
    /** A listener that ignores everything. */
    GradeListener NONE = new GradeListener() { };

    /**
     * The submission was compiled (or needs no compiling).
     *
     * @param success whether it compiled
     * @param compilerOutput what the compiler printed
     */
    default void onCompiled(boolean success, String compilerOutput) { }

    /**
     * A case was judged (or skipped).
     *
     * @param report how it went
     */
    default void onCase(CaseReport report) { }
}
