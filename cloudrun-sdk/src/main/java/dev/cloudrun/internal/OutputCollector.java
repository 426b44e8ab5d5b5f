package dev.cloudrun.internal;

import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumMap;
import java.util.Map;

/**
 * The sink of one step: captures each chunk up to the output cap, passes it to the listener raw
 * (a read-only view, or a copy of its own) and as UTF-8 text, each only if the listener has that method, and calls
 * {@code onLimit} the moment the cap is crossed. Thread-safe (stdout and stderr arrive on different threads).
 *
 * <p>A backend that hands over its pipes ({@link #drain}) has them read straight into the capture,
 * so a chunk is copied once on its way (into the listener's array) besides the read itself, and not
 * at all for a listener that takes views ({@link dev.cloudrun.RunListener#onOutput(StreamKind, java.nio.ByteBuffer)}):
 * its view is of the captured bytes.
 */
final class OutputCollector implements OutputSink {
    private final ListenerGate listener;
    private final long cap;
    private final Runnable onLimit;
    private final StreamKind remapTo;
    private final Map<StreamKind, OutputCapture> captured = new EnumMap<>(StreamKind.class);
    private final Map<StreamKind, Utf8ChunkDecoder> decoders = new EnumMap<>(StreamKind.class);
    private final Map<StreamKind, Boolean> truncated = new EnumMap<>(StreamKind.class);
    private long total;
    private boolean limitHit;

    /**
     * @param listener where output goes live
     * @param cap how many bytes (all streams together) may pass
     * @param onLimit called once, when the cap is crossed
     * @param remapTo report every stream as this kind (the compiler's output), or null to keep them apart
     */
    OutputCollector(ListenerGate listener, long cap, Runnable onLimit, StreamKind remapTo) {
        this.listener = listener;
        this.cap = cap;
        this.onLimit = onLimit;
        this.remapTo = remapTo;
    }

    @Override
    public void accept(StreamKind stream, byte[] buffer, int offset, int length) {
        StreamKind kind = remapTo != null ? remapTo : stream;
        boolean crossed;
        synchronized (this) {
            int accepted = admit(kind, length);
            crossed = accepted < length && accepted >= 0;
            if (accepted > 0) {
                capture(kind).append(buffer, offset, accepted);
                publish(kind, buffer, offset, accepted);
            }
        }
        if (crossed) {
            onLimit.run();
        }
    }

    /**
     * Reads the stream into its capture directly. Each stream has a capture of its own that only
     * this thread writes, so the read itself runs outside the lock; a step whose streams are
     * reported as one kind (the compiler's) goes through {@link #accept} instead, which keeps their
     * chunks in arrival order.
     */
    @Override
    public void drain(StreamKind stream, InputStream in) throws IOException {
        if (remapTo != null) {
            OutputSink.super.drain(stream, in);
            return;
        }
        byte[] discard = null;
        while (true) {
            byte[] target;
            int offset;
            int room;
            synchronized (this) {
                if (limitHit) {
                    // Past the cap: keep the pipe flowing until the step is killed, and keep nothing.
                    discard = discard != null ? discard : new byte[READ_BYTES];
                    target = discard;
                    offset = 0;
                    room = discard.length;
                } else {
                    OutputCapture capture = capture(stream);
                    room = Math.min(READ_BYTES, capture.reserve(READ_BYTES));
                    target = capture.block();
                    offset = capture.end();
                }
            }
            int read = in.read(target, offset, room);
            if (read < 0) {
                return;
            }
            if (read == 0) {
                continue;
            }
            boolean crossed;
            synchronized (this) {
                int accepted = admit(stream, read);
                crossed = accepted < read && accepted >= 0;
                if (accepted > 0) {
                    OutputCapture capture = capture(stream);
                    if (capture.block() == target && capture.end() == offset) {
                        capture.commit(accepted);
                    } else {
                        // The room moved (someone called accept for this stream meanwhile): copy instead.
                        capture.append(target, offset, accepted);
                    }
                    publish(stream, target, offset, accepted);
                }
            }
            if (crossed) {
                onLimit.run();
            }
        }
    }

    /**
     * Counts a chunk against the cap. Holds the lock.
     *
     * @return how many of its bytes may pass, or -1 if the cap was already crossed
     */
    private int admit(StreamKind kind, int length) {
        if (length <= 0) {
            return 0;
        }
        if (limitHit) {
            truncated.put(kind, true);
            return -1;
        }
        int accepted = (int) Math.min(length, cap - total);
        if (accepted < length) {
            limitHit = true;
            truncated.put(kind, true);
        }
        total += accepted;
        return accepted;
    }

    /**
     * Hands a captured chunk to the listener, copied and decoded only for the methods it has. Holds
     * the lock, so chunks reach it in capture order.
     */
    private void publish(StreamKind kind, byte[] buffer, int offset, int length) {
        if (!listener.wantsRaw() && !listener.wantsText()) {
            return;
        }
        String text = listener.wantsText()
                ? decoders.computeIfAbsent(kind, k -> new Utf8ChunkDecoder()).decode(buffer, offset, length) : null;
        listener.output(kind, listener.wantsRaw() ? buffer : null, offset, length, text);
    }

    private OutputCapture capture(StreamKind kind) {
        return captured.computeIfAbsent(kind, k -> new OutputCapture());
    }

    /** Emits text still held back by the decoders (an incomplete character at the very end). */
    synchronized void finish() {
        decoders.forEach((kind, decoder) -> {
            String rest = decoder.finish();
            if (!rest.isEmpty()) {
                listener.output(kind, null, 0, 0, rest);
            }
        });
    }

    synchronized boolean limitHit() {
        return limitHit;
    }

    synchronized byte[] bytes(StreamKind kind) {
        OutputCapture out = captured.get(kind);
        return out == null ? new byte[0] : out.toByteArray();
    }

    /** @return the captured bytes of a stream as read-only views, not copied (see {@link OutputCapture#chunks}) */
    synchronized java.util.List<java.nio.ByteBuffer> chunks(StreamKind kind) {
        OutputCapture out = captured.get(kind);
        return out == null ? java.util.List.of() : out.chunks();
    }

    synchronized boolean truncated(StreamKind kind) {
        return truncated.getOrDefault(kind, false);
    }
}
