package dev.cloudrun.server;

/**
 * The IDE server's entry point. The REST and WebSocket server is built by its own issue; until
 * then this class only says so, so that {@code ./cloudrun serve} fails clearly instead of oddly.
 */
public final class CloudRunServer {
    private CloudRunServer() { }

    /**
     * Explains that the server is not available yet.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        System.err.println("cloudrun serve: the IDE server is not built yet; use './cloudrun run FILE'.");
        System.exit(2);
    }
}
