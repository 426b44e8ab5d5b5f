package dev.cloudrun;

/**
 * Receives a run's live output and lifecycle events. Every method has an empty default, so
 * implement only what you need.
 *
 * <p>Calls for one run never overlap: CloudRun serialises them, although they may arrive on
 * different threads. Keep them short; a slow listener slows the run's output.
 */
public interface RunListener {
    /** A listener that ignores everything. */
    RunListener NONE = new RunListener() { };

    /**
     * The run entered a new phase.
     *
     * @param phase the phase just entered
     */
    default void onPhase(Phase phase) { }

    /**
     * Raw bytes the program wrote, exactly as written, in order per stream. The array is the
     * listener's to keep.
     *
     * @param stream which stream the bytes came from
     * @param chunk the bytes; never empty
     */
    default void onOutput(StreamKind stream, byte[] chunk) { }

    /**
     * The same output decoded as UTF-8. A character split across chunks is held back until it is
     * complete, so text is never garbled; malformed bytes become U+FFFD.
     *
     * @param stream which stream the text came from
     * @param text the decoded text; never empty
     */
    default void onText(StreamKind stream, String text) { }
}
