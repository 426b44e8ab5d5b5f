package dev.cloudrun.internal;

import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises calls to a caller's listener and keeps a listener that throws from breaking the run.
 */
final class ListenerGate {
    private static final Logger LOG = LoggerFactory.getLogger(ListenerGate.class);

    private final RunListener listener;
    private final String runId;
    private final boolean wantsBytes;
    private final boolean wantsViews;
    private final boolean wantsText;

    ListenerGate(RunListener listener, String runId) {
        this.listener = listener;
        this.runId = runId;
        this.wantsBytes = overrides(listener, "onOutput", byte[].class);
        this.wantsViews = overrides(listener, "onOutput", ByteBuffer.class);
        this.wantsText = overrides(listener, "onText", String.class);
    }

    /**
     * @return whether the listener has its own {@link RunListener#onOutput}; when it keeps the empty
     *     default, nobody reads the raw chunks, so none need be copied for it
     */
    boolean wantsBytes() {
        return wantsBytes;
    }

    /**
     * @return whether the listener has its own {@link RunListener#onOutput(StreamKind, ByteBuffer)},
     *     which gets a view of each chunk instead of a copy
     */
    boolean wantsViews() {
        return wantsViews;
    }

    /** @return whether the listener reads raw chunks in either form, so they must be handed over at all */
    boolean wantsRaw() {
        return wantsBytes || wantsViews;
    }

    /**
     * @return whether the listener has its own {@link RunListener#onText}; when it keeps the empty
     *     default, nobody reads the text, so the output need not be decoded at all
     */
    boolean wantsText() {
        return wantsText;
    }

    private static boolean overrides(RunListener listener, String method, Class<?> payload) {
        try {
            return listener.getClass().getMethod(method, StreamKind.class, payload).getDeclaringClass()
                    != RunListener.class;
        } catch (NoSuchMethodException | SecurityException e) {
            return true;
        }
    }

    synchronized void phase(Phase phase) {
        try {
            listener.onPhase(phase);
        } catch (RuntimeException e) {
            LOG.warn("run {}: listener failed on phase {}", runId, phase, e);
        }
    }

    synchronized void missingPackages(java.util.List<String> packages) {
        try {
            listener.onMissingPackages(packages);
        } catch (RuntimeException e) {
            LOG.warn("run {}: listener failed on missing packages", runId, e);
        }
    }

    synchronized void installStarted(java.util.List<String> packages) {
        try {
            listener.onInstallStarted(packages);
        } catch (RuntimeException e) {
            LOG.warn("run {}: listener failed on install start", runId, e);
        }
    }

    synchronized void installFinished(java.util.List<String> packages, boolean success, String message) {
        try {
            listener.onInstallFinished(packages, success, message);
        } catch (RuntimeException e) {
            LOG.warn("run {}: listener failed on install end", runId, e);
        }
    }

    /**
     * Hands a chunk to the listener in the forms it has methods for: a read-only view of the
     * caller's bytes (valid during the call only), a copy of its own, and the text.
     *
     * @param buffer holds the raw bytes, or null when only held-back text is flushed
     * @param offset where the chunk starts in {@code buffer}
     * @param length the chunk's length
     * @param text the chunk decoded, or null when the listener does not want it ({@link #wantsText})
     */
    synchronized void output(StreamKind kind, byte[] buffer, int offset, int length, String text) {
        try {
            if (buffer != null && length > 0) {
                if (wantsViews) {
                    listener.onOutput(kind, ByteBuffer.wrap(buffer, offset, length).slice().asReadOnlyBuffer());
                }
                if (wantsBytes) {
                    listener.onOutput(kind, Arrays.copyOfRange(buffer, offset, offset + length));
                }
            }
            if (text != null && !text.isEmpty()) {
                listener.onText(kind, text);
            }
        } catch (RuntimeException e) {
            LOG.warn("run {}: listener failed on output", runId, e);
        }
    }
}
