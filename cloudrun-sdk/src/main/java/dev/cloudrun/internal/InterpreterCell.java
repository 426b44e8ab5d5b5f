package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cell of an {@link InterpreterProcess}: its stdout and stderr up to the output cap (told to its
 * listener as they come), the report its stdout marker carries, and its end, which comes when both
 * streams' markers are in, the cap is passed or the process ends. Output that comes before the cell
 * begins (from a thread or process an earlier cell left) waits in it and is told when it begins.
 * Thread-safe: the process's reader and the caller's thread both use it.
 */
final class InterpreterCell {
    private static final Logger LOG = LoggerFactory.getLogger(InterpreterCell.class);

    private final long seq;
    private final long outputCap;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Utf8ChunkDecoder outText = new Utf8ChunkDecoder();
    private final Utf8ChunkDecoder errText = new Utf8ChunkDecoder();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private RunListener listener;
    private boolean outMarked;
    private boolean errMarked;
    private byte[] report;
    private boolean overLimit;
    private boolean closed;
    private InterpreterCell successor;

    /**
     * @param seq its number in its process (0: the start-up, whose markers say the driver is ready)
     * @param outputCap the most bytes of stdout and stderr together it keeps
     */
    InterpreterCell(long seq, long outputCap) {
        this.seq = seq;
        this.outputCap = outputCap;
    }

    long seq() {
        return seq;
    }

    /** @return the cell after this one, made on first use */
    synchronized InterpreterCell successor() {
        if (successor == null) {
            successor = new InterpreterCell(seq + 1, outputCap);
        }
        return successor;
    }

    /** @param cellListener told the cell's output from now on, starting with what came before */
    synchronized void begin(RunListener cellListener) {
        listener = cellListener;
        if (out.size() > 0) {
            tell(StreamKind.STDOUT, out.toByteArray());
        }
        if (err.size() > 0) {
            tell(StreamKind.STDERR, err.toByteArray());
        }
    }

    synchronized void append(StreamKind kind, byte[] data) {
        if (overLimit || closed) {
            return;
        }
        long room = outputCap - out.size() - err.size();
        byte[] kept = data;
        if (data.length > room) {
            kept = Arrays.copyOf(data, (int) Math.max(0, room));
            overLimit = true;
        }
        (kind == StreamKind.STDOUT ? out : err).writeBytes(kept);
        if (listener != null && kept.length > 0) {
            tell(kind, kept);
        }
        if (overLimit) {
            done.complete(null);
        }
    }

    /**
     * @param kind the stream whose marker came
     * @param payload its payload: the driver's JSON report on stdout
     */
    synchronized void marked(StreamKind kind, byte[] payload) {
        if (kind == StreamKind.STDOUT) {
            outMarked = true;
            report = payload;
        } else {
            errMarked = true;
        }
        if (outMarked && errMarked) {
            done.complete(null);
        }
    }

    /** Ends the wait for it: its process ended, or its markers can no longer be found. */
    void finish() {
        done.complete(null);
    }

    /**
     * @param timeout how long to wait
     * @return whether it ended within the time
     */
    boolean awaitEnd(Duration timeout) {
        try {
            done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while a cell ran", e);
        } catch (ExecutionException e) {
            throw new CloudRunException("a cell failed", e.getCause());
        }
    }

    /** @return the report, when both markers came; null otherwise */
    synchronized byte[] report() {
        return outMarked && errMarked ? report : null;
    }

    synchronized boolean overLimit() {
        return overLimit;
    }

    /**
     * Closes the cell: later output is not its own, and characters its decoders hold back are told.
     *
     * @return what it wrote, stdout then stderr, as UTF-8
     */
    synchronized String[] close() {
        done.complete(null);
        if (!closed && listener != null) {
            String restOut = outText.finish();
            String restErr = errText.finish();
            try {
                if (!restOut.isEmpty()) {
                    listener.onText(StreamKind.STDOUT, restOut);
                }
                if (!restErr.isEmpty()) {
                    listener.onText(StreamKind.STDERR, restErr);
                }
            } catch (RuntimeException e) {
                LOG.warn("a cell's listener failed: {}", e.toString());
            }
        }
        closed = true;
        listener = null;
        return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    synchronized String stderrText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void tell(StreamKind kind, byte[] data) {
        try {
            listener.onOutput(kind, java.nio.ByteBuffer.wrap(data).asReadOnlyBuffer());
            listener.onOutput(kind, data.clone());
            String text = (kind == StreamKind.STDOUT ? outText : errText).decode(data, 0, data.length);
            if (!text.isEmpty()) {
                listener.onText(kind, text);
            }
        } catch (RuntimeException e) {
            LOG.warn("a cell's listener failed: {}", e.toString());
        }
    }
}
