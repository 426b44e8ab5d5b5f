package dev.cloudrun.server.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} response written straight to the servlet response, flushed after
 * every event. A write to a client that went away throws {@link UncheckedIOException}.
 */
public final class EventStream {
    private final Context ctx;
    private OutputStream out;

    /**
     * Wraps a response; nothing is sent until the first event.
     *
     * @param ctx the request
     */
    public EventStream(Context ctx) {
        this.ctx = ctx;
    }

    /** @return whether the stream's headers went out */
    public boolean isOpen() {
        return out != null;
    }

    /** Sends the headers, if not yet sent. */
    public void open() {
        if (out != null) {
            return;
        }
        ctx.res().setStatus(200);
        ctx.res().setContentType("text/event-stream;charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache, no-transform");
        ctx.res().setHeader("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
        try {
            out = ctx.res().getOutputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends an event.
     *
     * @param event its name
     * @param data its data, written as JSON
     */
    public void send(String event, Object data) {
        send(event, null, data);
    }

    /**
     * Sends an event with an id, which a reconnecting client sends back as {@code Last-Event-ID}.
     *
     * @param event its name
     * @param id its id, or null
     * @param data its data, written as JSON
     */
    public void send(String event, String id, Object data) {
        write((id == null ? "" : "id: " + id + "\n") + "event: " + event + "\ndata: " + Json.write(data) + "\n\n");
    }

    /** Sends a comment line, which keeps proxies from closing an idle stream and finds a client that left. */
    public void keepAlive() {
        write(": keep-alive\n\n");
    }

    private void write(String text) {
        open();
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
