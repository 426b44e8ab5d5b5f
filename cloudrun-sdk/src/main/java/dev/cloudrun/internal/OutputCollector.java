package dev.cloudrun.internal;

import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import java.io.ByteArrayOutputStream;
import java.util.EnumMap;
import java.util.Map;

/**
 * The sink of one step: copies each chunk out of the backend's buffer, captures it up to the
 * output cap, passes it to the listener raw and as UTF-8 text, and calls {@code onLimit} the
 * moment the cap is crossed. Thread-safe (stdout and stderr arrive on different threads).
 */
final class OutputCollector implements OutputSink {
    private final ListenerGate listener;
    private final long cap;
    private final Runnable onLimit;
    private final StreamKind remapTo;
    private final Map<StreamKind, ByteArrayOutputStream> captured = new EnumMap<>(StreamKind.class);
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
        boolean crossed = false;
        synchronized (this) {
            if (limitHit || length <= 0) {
                if (length > 0) {
                    truncated.put(kind, true);
                }
                return;
            }
            int accepted = (int) Math.min(length, cap - total);
            if (accepted < length) {
                limitHit = true;
                crossed = true;
                truncated.put(kind, true);
            }
            total += accepted;
            if (accepted > 0) {
                byte[] chunk = new byte[accepted];
                System.arraycopy(buffer, offset, chunk, 0, accepted);
                captured.computeIfAbsent(kind, k -> new ByteArrayOutputStream()).write(chunk, 0, accepted);
                String text = decoders.computeIfAbsent(kind, k -> new Utf8ChunkDecoder()).decode(chunk, 0, accepted);
                listener.output(kind, chunk, text);
            }
        }
        if (crossed) {
            onLimit.run();
        }
    }

    /** Emits text still held back by the decoders (an incomplete character at the very end). */
    synchronized void finish() {
        decoders.forEach((kind, decoder) -> {
            String rest = decoder.finish();
            if (!rest.isEmpty()) {
                listener.output(kind, null, rest);
            }
        });
    }

    synchronized boolean limitHit() {
        return limitHit;
    }

    synchronized byte[] bytes(StreamKind kind) {
        ByteArrayOutputStream out = captured.get(kind);
        return out == null ? new byte[0] : out.toByteArray();
    }

    synchronized boolean truncated(StreamKind kind) {
        return truncated.getOrDefault(kind, false);
    }
}
