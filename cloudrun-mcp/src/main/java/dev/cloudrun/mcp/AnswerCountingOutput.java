package dev.cloudrun.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The stdio transport's output, counting the answers (messages with an id and no method) written
 * to it, so that a client that sends its requests and closes stdin at once still gets every answer
 * before the server ends.
 */
final class AnswerCountingOutput extends FilterOutputStream {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final AtomicLong answers = new AtomicLong();

    AnswerCountingOutput(OutputStream out) {
        super(out);
    }

    @Override
    public synchronized void write(int b) throws IOException {
        out.write(b);
        take(b);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        for (int i = offset; i < offset + length; i++) {
            take(bytes[i]);
        }
    }

    private void take(int b) {
        if (b != '\n') {
            line.write(b);
            return;
        }
        try {
            JsonNode message = JSON.readTree(line.toByteArray());
            if (message != null && message.has("id") && !message.has("method")) {
                answers.incrementAndGet();
            }
        } catch (IOException e) {
            // Not JSON: nothing to count.
        }
        line.reset();
    }

    /** @return how many answers have been written */
    long answers() {
        return answers.get();
    }
}
