package dev.cloudrun.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The program's stdin as seen by the caller: writes are queued, so they never block the caller, and
 * a pump delivers them to the sandbox once the program runs.
 */
final class StdinChannel {
    private static final byte[] END = new byte[0];

    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private final boolean interactive;
    private boolean closed;

    StdinChannel(byte[] whole, boolean interactive) {
        this.interactive = interactive;
        if (!interactive) {
            if (whole != null && whole.length > 0) {
                queue.add(whole);
            }
            queue.add(END);
            closed = true;
        }
    }

    synchronized void write(byte[] bytes) {
        if (!interactive) {
            throw new IllegalStateException("stdin is not interactive: create the request with withInteractiveStdin()");
        }
        if (closed) {
            throw new IllegalStateException("stdin is already closed");
        }
        if (bytes.length > 0) {
            queue.add(bytes.clone());
        }
    }

    synchronized void close() {
        if (!closed) {
            closed = true;
            queue.add(END);
        }
    }

    /**
     * Copies queued input to the program until end-of-input, the program closing its side, or an
     * interrupt. Runs on its own thread.
     */
    void pumpTo(OutputStream stdin) {
        try (OutputStream out = stdin) {
            while (true) {
                byte[] chunk = queue.take();
                if (chunk == END) {
                    return;
                }
                out.write(chunk);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // The program ended or stopped reading; whatever is left has nowhere to go.
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
