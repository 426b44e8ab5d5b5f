package dev.cloudrun.server.runs;

import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import dev.cloudrun.server.db.RunOutput;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Keeps a run's output for its history while passing every event on to the run's own listener: the
 * text in the order it arrived, adjacent pieces of one stream merged, and at most a fixed number of
 * UTF-8 bytes, so that memory stays bounded however much the program writes. Output past the cap is
 * dropped (cut at a character boundary) and the capture says it was cut.
 */
final class RunOutputCapture implements RunListener {
    private final RunListener delegate;
    private final long capBytes;
    private final List<RunOutput.Chunk> chunks = new ArrayList<>();
    private String lastStream;
    private final StringBuilder last = new StringBuilder();
    private long keptBytes;
    private boolean truncated;

    /**
     * @param delegate the listener that gets every event, unchanged
     * @param capBytes the most output kept, in UTF-8 bytes (at least 1)
     */
    RunOutputCapture(RunListener delegate, long capBytes) {
        if (capBytes < 1) {
            throw new IllegalArgumentException("capBytes must be at least 1, was " + capBytes);
        }
        this.delegate = delegate;
        this.capBytes = capBytes;
    }

    @Override
    public void onPhase(dev.cloudrun.Phase phase) {
        delegate.onPhase(phase);
    }

    @Override
    public void onOutput(StreamKind stream, byte[] chunk) {
        delegate.onOutput(stream, chunk);
    }

    @Override
    public void onText(StreamKind stream, String text) {
        keep(stream.name().toLowerCase(Locale.ROOT), text);
        delegate.onText(stream, text);
    }

    @Override
    public void onMissingPackages(List<String> packages) {
        delegate.onMissingPackages(packages);
    }

    @Override
    public void onInstallStarted(List<String> packages) {
        delegate.onInstallStarted(packages);
    }

    @Override
    public void onInstallFinished(List<String> packages, boolean success, String message) {
        delegate.onInstallFinished(packages, success, message);
    }

    private synchronized void keep(String stream, String text) {
        if (truncated) {
            return;
        }
        String kept = text;
        long size = text.getBytes(StandardCharsets.UTF_8).length;
        if (keptBytes + size > capBytes) {
            kept = prefixWithin(text, capBytes - keptBytes);
            size = kept.getBytes(StandardCharsets.UTF_8).length;
            truncated = true;
        }
        if (kept.isEmpty()) {
            return;
        }
        if (!stream.equals(lastStream)) {
            closeLast();
            lastStream = stream;
        }
        last.append(kept);
        keptBytes += size;
    }

    private void closeLast() {
        if (lastStream != null && last.length() > 0) {
            chunks.add(new RunOutput.Chunk(lastStream, last.toString()));
        }
        last.setLength(0);
    }

    /** The longest prefix of whole characters whose UTF-8 form fits in the given number of bytes. */
    private static String prefixWithin(String text, long bytes) {
        long used = 0;
        int index = 0;
        while (index < text.length()) {
            int codePoint = text.codePointAt(index);
            int width = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            if (used + width > bytes) {
                break;
            }
            used += width;
            index += Character.charCount(codePoint);
        }
        return text.substring(0, index);
    }

    /**
     * @param runId the run
     * @param userId who started it
     * @param projectId its project, or null
     * @param endedAtMillis when it ended
     * @return what was kept so far
     */
    synchronized RunOutput output(String runId, String userId, String projectId, long endedAtMillis) {
        List<RunOutput.Chunk> all = new ArrayList<>(chunks);
        if (lastStream != null && last.length() > 0) {
            all.add(new RunOutput.Chunk(lastStream, last.toString()));
        }
        return new RunOutput(runId, userId, projectId, all, keptBytes, truncated, endedAtMillis);
    }
}
