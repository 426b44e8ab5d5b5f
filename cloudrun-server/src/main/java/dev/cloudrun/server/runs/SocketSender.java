package dev.cloudrun.server.runs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Session;

/**
 * The one way anything is written to a WebSocket. Jetty's blocking send must not be called from
 * several threads at once, yet output, phase changes, results and pings come from different
 * threads; so every frame goes into a queue that one task at a time drains, in order.
 */
public final class SocketSender {
    private interface Frame {
        void write(Session session) throws IOException;
    }

    private final Session session;
    private final Executor executor;
    private final Queue<Frame> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean draining = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong queuedChars = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closing;
    private volatile boolean broken;

    /**
     * Creates the sender of one socket.
     *
     * @param session the socket
     * @param executor where the queue is drained
     */
    public SocketSender(Session session, Executor executor) {
        this.session = session;
        this.executor = executor;
    }

    /**
     * Queues a text message.
     *
     * @param text the message
     */
    public void send(String text) {
        if (broken || closing) {
            return;
        }
        queuedChars.addAndGet(text.length());
        enqueue(session -> {
            queuedChars.addAndGet(-text.length());
            session.getRemote().sendString(text);
        });
    }

    /**
     * @return the characters of text messages queued and not yet handed to the socket: what a client
     *     that reads slowly makes the server hold
     */
    public long queuedChars() {
        return queuedChars.get();
    }

    /**
     * Drops everything queued and cuts the connection now, without a close handshake: a client that
     * does not read would hold a close frame up behind the data it has not read.
     */
    public void drop() {
        closing = true;
        queue.clear();
        queuedChars.set(0);
        try {
            session.disconnect();
        } catch (RuntimeException e) {
            broken = true;
        }
    }

    /** Queues a ping; the client's pong keeps the connection from idling out. */
    public void ping() {
        enqueue(session -> session.getRemote().sendPing(ByteBuffer.allocate(0)));
    }

    /**
     * Queues a close after everything already queued; frames queued later are dropped.
     *
     * @param code the close code
     * @param reason the close reason
     */
    public void close(int code, String reason) {
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
                    queuedChars.set(0);
                    return;
                }
                try {
                    frame.write(session);
                } catch (IOException | RuntimeException e) {
                    broken = true;
                    queue.clear();
                    queuedChars.set(0);
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
