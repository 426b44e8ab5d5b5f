package dev.cloudrun;

/** The lifecycle of a run, reported through {@link RunListener#onPhase(Phase)}. */
public enum Phase {
    /** Accepted and waiting for a free sandbox slot. */
    QUEUED,
    /** Installing the program's dependencies (only when requested). */
    INSTALLING,
    /** The compile step of a compiled language is running. */
    COMPILING,
    /** The program itself is running. */
    RUNNING,
    /** The run is over and its {@link RunResult} is available. */
    FINISHED
}
