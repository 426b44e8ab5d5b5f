package dev.cloudrun;

import java.nio.ByteBuffer;
import java.util.List;

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
     * listener's to keep: CloudRun copies each chunk for it. To consume a large output without
     * that copy, implement {@link #onOutput(StreamKind, ByteBuffer)} instead.
     *
     * @param stream which stream the bytes came from
     * @param chunk the bytes; never empty
     */
    default void onOutput(StreamKind stream, byte[] chunk) { }

    /**
     * The same raw bytes as {@link #onOutput(StreamKind, byte[])}, as a read-only view of the bytes
     * CloudRun read, without copying them: the fastest way to consume output (a listener that
     * forwards it to a socket or a file, or counts it). The view's position is 0 and its limit the
     * chunk's length. It is valid only during the call, since the bytes behind it may be a
     * buffer CloudRun reuses: copy what you keep ({@code chunk.get(array)}). The result's
     * {@link RunResult#stdout()} still holds the whole output.
     *
     * <p>A listener that implements both methods gets each chunk in both, this one first.
     *
     * @param stream which stream the bytes came from
     * @param chunk a read-only view of the bytes; never empty
     */
    default void onOutput(StreamKind stream, ByteBuffer chunk) { }

    /**
     * The same output decoded as UTF-8. A character split across chunks is held back until it is
     * complete, so text is never garbled; malformed bytes become U+FFFD.
     *
     * @param stream which stream the text came from
     * @param text the decoded text; never empty
     */
    default void onText(StreamKind stream, String text) { }

    /**
     * The program failed because modules are missing; these packages would provide them.
     *
     * @param packages package names, valid in the language's ecosystem
     */
    default void onMissingPackages(List<String> packages) { }

    /**
     * An install step starts (auto-install). Its output follows as {@link StreamKind#INSTALL}.
     *
     * @param packages what is being installed (names, with version constraints for declared ones)
     */
    default void onInstallStarted(List<String> packages) { }

    /**
     * An install step ended.
     *
     * @param packages what was being installed
     * @param success whether the installer succeeded
     * @param message what happened, in words
     */
    default void onInstallFinished(List<String> packages, boolean success, String message) { }
}
