package dev.cloudrun.server.config;

/** The server's configuration is invalid or unsafe; the message names the setting and the fix. */
public final class ServerConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which setting is wrong and how to fix it
     */
    public ServerConfigException(String message) {
        super(message);
    }
}
