package dev.cloudrun.server.mcp;

import java.io.PrintWriter;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The writer the MCP SDK's servlet writes a {@code tools/call}'s event stream with: it sees the
 * JSON-RPC answer go out, and it can write an SSE comment line ({@code :}) between two events, which
 * clients ignore, to learn whether the client is still there ({@link #keepAlive()}). The SDK writes
 * an event as several lines: a comment goes only where an event ended, never inside one.
 */
final class EventStreamWriter extends PrintWriter {
    /** How the SDK's servlet starts the event of a JSON-RPC response (Jackson writes the record's fields in order). */
    private static final String ANSWER_EVENT = "data: {\"jsonrpc\":\"2.0\",\"id\":";
    private static final String COMMENT = ":\n";

    private final PrintWriter inner;
    private final Runnable onAnswer;
    private final BooleanSupplier isEventStream;
    /** Held for each write, so that a comment never lands inside the SDK's line. */
    private final ReentrantLock writing = new ReentrantLock();
    private boolean betweenEvents = true;
    private boolean answered;

    /**
     * @param inner the servlet response's writer
     * @param onAnswer called as the JSON-RPC answer is written, before the client can read it
     * @param isEventStream whether the response is an event stream (the SDK answers some errors with plain JSON)
     */
    EventStreamWriter(PrintWriter inner, Runnable onAnswer, BooleanSupplier isEventStream) {
        super(inner);
        this.inner = inner;
        this.onAnswer = onAnswer;
        this.isEventStream = isEventStream;
    }

    @Override
    public void write(String text) {
        writing.lock();
        try {
            if (!answered && text.startsWith(ANSWER_EVENT)) {
                answered = true;
                onAnswer.run();
            }
            super.write(text);
            betweenEvents = text.endsWith("\n\n");
        } finally {
            writing.unlock();
        }
    }

    @Override
    public void flush() {
        writing.lock();
        try {
            super.flush();
        } finally {
            writing.unlock();
        }
    }

    @Override
    public boolean checkError() {
        // The SDK learns of a client gone from the servlet's writer, which swallows the exception.
        return super.checkError() || inner.checkError();
    }

    /**
     * Writes and flushes a comment line if the stream is between two events and nobody else is writing (a write
     * blocked on a client that does not read keeps the lock: then this waits for nothing and says nothing new).
     *
     * @return false once a write has failed: the client closed the connection (its first write after the close may
     *     still succeed, the next one fails)
     */
    boolean keepAlive() {
        if (!writing.tryLock()) {
            return true;
        }
        try {
            if (!answered && betweenEvents && isEventStream.getAsBoolean()) {
                super.write(COMMENT);
                super.flush();
            }
        } finally {
            writing.unlock();
        }
        return !checkError();
    }
}
