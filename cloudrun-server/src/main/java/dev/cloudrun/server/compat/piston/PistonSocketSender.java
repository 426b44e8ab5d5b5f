package dev.cloudrun.server.compat.piston;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Session;

/**
 * Writes to one socket from many threads in order: Jetty's blocking send must not be called
 * concurrently, so frames go into a queue that one task at a time drains (as {@code /ws/run} does).
 */
final class PistonSocketSender {
    private interface Frame {
        void write(Session session) throws IOException;
    }

    private final Session session;
    private final Executor executor;
    private final Queue<Frame> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private volatile boolean closing;
    private volatile boolean broken;

    PistonSocketSender(Session session, Executor executor) {
        this.session = session;
        this.executor = executor;
    }

    void send(String text) {
        enqueue(session -> session.getRemote().sendString(text));
    }

    void ping() {
        enqueue(session -> session.getRemote().sendPing(ByteBuffer.allocate(0)));
    }

    /** Queues a close after everything already queued; later frames are dropped. */
    void close(int code, String reason) {
        enqueue(session -> session.close(code, reason));
        closing = true;
    }

    private void enqueue(Frame frame) {
        if (broken || closing) {
            return;
        }
        queue.add(frame);
        schedule();
    }

    private void schedule() {
        if (draining.compareAndSet(false, true)) {
            executor.execute(this::drain);
        }
    }

    private void drain() {
        try {
            Frame frame;
            while ((frame = queue.poll()) != null) {
                if (broken || !session.isOpen()) {
                    broken = true;
                    queue.clear();
                    return;
                }
                try {
                    frame.write(session);
                } catch (IOException | RuntimeException e) {
                    broken = true;
                    queue.clear();
                    return;
                }
            }
        } finally {
            draining.set(false);
            if (!queue.isEmpty() && !broken) {
                schedule();
            }
        }
    }
}
