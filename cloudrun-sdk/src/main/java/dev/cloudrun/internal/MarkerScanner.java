package dev.cloudrun.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Finds the end-of-cell markers of a stateful interpreter ({@link StatefulInterpreter}) in one output
 * stream, which arrives in chunks of any size: {@code \0cloudrun-<nonce>|<seq> <length>\n} followed by
 * {@code length} bytes of payload, anywhere in the stream (a cell's output need not end with a new
 * line). Everything else is the program's output, passed on in order; bytes that might start a
 * marker are held back until the next chunk tells. The header and the payload have caps, so a
 * stream that breaks the format cannot make it hold much. Not thread-safe: one stream's reader calls it.
 */
final class MarkerScanner {
    /** The longest header after the prefix: two numbers and a space. */
    static final int MAX_HEADER_BYTES = 40;
    /** The largest payload accepted (the driver cuts a value's repr at 64 Ki characters). */
    static final int MAX_PAYLOAD_BYTES = 1 << 20;

    /** What the scanner finds. */
    interface Receiver {
        /** @param data the program's own output (the array is the receiver's) */
        void output(byte[] data);

        /**
         * @param seq the marker's cell number
         * @param payload its payload (empty on stderr)
         */
        void marker(long seq, byte[] payload);

        /** @param why the stream broke the marker format; nothing more is scanned */
        void broken(String why);
    }

    private enum State { SCAN, HEADER, PAYLOAD, BROKEN }

    private final byte[] prefix;
    private final Receiver receiver;
    private final ByteArrayOutputStream plain = new ByteArrayOutputStream();
    private final ByteArrayOutputStream field = new ByteArrayOutputStream();
    private State state = State.SCAN;
    /** How many bytes of the prefix the stream has matched so far (held back, not yet passed on). */
    private int matched;
    private long seq;
    private int payloadLength;

    /**
     * @param nonce the interpreter's nonce: letters and digits
     * @param receiver told of output and markers
     */
    MarkerScanner(String nonce, Receiver receiver) {
        if (!nonce.matches("[A-Za-z0-9]{8,64}")) {
            throw new IllegalArgumentException("a nonce is 8 to 64 letters and digits");
        }
        // The prefix's first byte appears nowhere else in it, so after a mismatch no later start of a
        // marker can hide in the bytes held back: matching restarts at the byte that failed.
        this.prefix = ("\0cloudrun-" + nonce + "|").getBytes(StandardCharsets.US_ASCII);
        this.receiver = receiver;
    }

    /** @param chunk the next bytes of the stream */
    void feed(byte[] chunk) {
        for (byte b : chunk) {
            switch (state) {
                case SCAN -> scan(b);
                case HEADER -> header(b);
                case PAYLOAD -> {
                    field.write(b);
                    if (field.size() == payloadLength) {
                        deliverMarker();
                    }
                }
                case BROKEN -> plain.write(b);
            }
        }
        flushPlain();
    }

    /** The stream ended: what was held back as a possible marker was output after all. */
    void finish() {
        if (state == State.SCAN && matched > 0) {
            plain.write(prefix, 0, matched);
            matched = 0;
        }
        flushPlain();
    }

    private void scan(byte b) {
        if (b == prefix[matched]) {
            matched++;
            if (matched == prefix.length) {
                flushPlain();
                matched = 0;
                field.reset();
                state = State.HEADER;
            }
            return;
        }
        if (matched > 0) {
            plain.write(prefix, 0, matched);
            matched = 0;
        }
        if (b == prefix[0]) {
            matched = 1;
        } else {
            plain.write(b);
        }
    }

    private void header(byte b) {
        if (b != '\n') {
            if (field.size() >= MAX_HEADER_BYTES) {
                breakOff("a marker's header is longer than " + MAX_HEADER_BYTES + " bytes");
                return;
            }
            field.write(b);
            return;
        }
        String[] words = field.toString(StandardCharsets.US_ASCII).split(" ", -1);
        try {
            if (words.length != 2) {
                throw new NumberFormatException();
            }
            seq = Long.parseLong(words[0]);
            long length = Long.parseLong(words[1]);
            if (seq < 0 || length < 0 || length > MAX_PAYLOAD_BYTES) {
                breakOff("a marker's payload of " + length + " bytes is over the cap of " + MAX_PAYLOAD_BYTES);
                return;
            }
            payloadLength = (int) length;
        } catch (NumberFormatException e) {
            breakOff("a marker's header is not two numbers");
            return;
        }
        field.reset();
        if (payloadLength == 0) {
            deliverMarker();
        } else {
            state = State.PAYLOAD;
        }
    }

    private void deliverMarker() {
        byte[] payload = field.toByteArray();
        field.reset();
        state = State.SCAN;
        receiver.marker(seq, payload);
    }

    private void breakOff(String why) {
        state = State.BROKEN;
        field.reset();
        receiver.broken(why);
    }

    private void flushPlain() {
        if (plain.size() > 0) {
            byte[] data = plain.toByteArray();
            plain.reset();
            receiver.output(data);
        }
    }
}
