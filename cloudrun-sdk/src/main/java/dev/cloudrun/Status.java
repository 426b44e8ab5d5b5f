package dev.cloudrun;

/** How a run ended. Every outcome of a user's program is a status, never an exception. */
public enum Status {
    /** The program exited with code 0 within every limit. */
    OK,
    /** The compiler rejected the source; see {@link RunResult#compilerOutput()}. */
    COMPILE_ERROR,
    /** The program exited with a non-zero code or was killed by a signal it caused. */
    RUNTIME_ERROR,
    /** The program (or its compilation) exceeded the wall-clock or CPU time limit. */
    TIME_LIMIT,
    /** The program exceeded its memory limit (the kernel's OOM killer stopped it, or the runtime ran out of heap). */
    MEMORY_LIMIT,
    /** The program wrote more than the output limit and was stopped. */
    OUTPUT_LIMIT,
    /** The caller cancelled the run. */
    CANCELLED,
    /** CloudRun itself failed (sandbox lost, daemon restarted); see {@link RunResult#message()}. */
    INTERNAL_ERROR
}
