package dev.cloudrun.mcp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Joins an MCP {@code notifications/cancelled} to the run its request started. The MCP SDK hands a
 * tool handler no request id and has no handler for that notification, so the transport side tags
 * each {@code tools/call} with its id in {@code _meta} ({@link #REQUEST_ID_META}) and reports
 * cancellations here; a handler registers how to stop its run under that tag while it runs.
 */
public final class RunCancellations {
    /** The {@code _meta} key under which the transport puts a {@code tools/call}'s JSON-RPC id. */
    public static final String REQUEST_ID_META = "dev.cloudrun/requestId";

    private final Map<String, Runnable> running = new ConcurrentHashMap<>();
    private final Map<String, Boolean> cancelledEarly = new ConcurrentHashMap<>();

    /**
     * The client cancelled a request.
     *
     * @param key the connection and the request's id, as the transport tagged it
     */
    public void cancel(String key) {
        Runnable stop = running.get(key);
        if (stop != null) {
            stop.run();
        } else if (cancelledEarly.size() < 1024) {
            // The cancellation overtook the handler (it is still queued): it stops as soon as it starts.
            cancelledEarly.put(key, Boolean.TRUE);
        }
    }

    /**
     * @param key the request's tag, or null when the transport did not tag it
     * @param stop how to stop the run
     * @return a handle that unregisters; closes at once (having stopped the run) if the request was
     *     cancelled before it got here
     */
    Registration register(String key, Runnable stop) {
        if (key == null) {
            return () -> { };
        }
        running.put(key, stop);
        if (cancelledEarly.remove(key) != null) {
            stop.run();
        }
        return () -> running.remove(key, stop);
    }

    /** Undoes one {@link #register}. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
