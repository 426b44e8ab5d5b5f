package dev.cloudrun.mcp;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stdio transport's output, counting the answers (JSON-RPC responses) written to it, so that a
 * client that sends its requests and closes stdin at once still gets every answer before the server
 * ends. It reads only the start of each line: the SDK writes a response's fields in its record's
 * order, so a response, and only a response, starts with {@code {"jsonrpc":"2.0","id":} (a request
 * or a notification has its {@code method} second). Nothing is parsed or copied: a result carrying
 * megabytes of images costs a comparison a byte.
 */
final class AnswerCountingOutput extends FilterOutputStream {
    private static final byte[] ANSWER_START = "{\"jsonrpc\":\"2.0\",\"id\":".getBytes(StandardCharsets.US_ASCII);
    private final AtomicLong answers = new AtomicLong();
    /** How many bytes of the current line match {@link #ANSWER_START}, or -1 once one did not. */
    private int matched;

    AnswerCountingOutput(OutputStream out) {
        super(out);
    }

    // An answer the client can no longer take (its end of the pipe closed) counts as given: the
    // server waits for answers only to deliver them.
    @Override
    public synchronized void write(int b) throws IOException {
        try {
            out.write(b);
        } finally {
            take((byte) b);
        }
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        try {
            out.write(bytes, offset, length);
        } finally {
            for (int i = offset; i < offset + length; i++) {
                take(bytes[i]);
            }
        }
    }

    private void take(byte b) {
        if (b == '\n') {
            if (matched == ANSWER_START.length) {
                answers.incrementAndGet();
            }
            matched = 0;
        } else if (matched >= 0 && matched < ANSWER_START.length) {
            matched = ANSWER_START[matched] == b ? matched + 1 : -1;
        }
    }

    /** @return how many answers have been written */
    long answers() {
        return answers.get();
    }
}
