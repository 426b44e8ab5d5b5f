package dev.cloudrun.server.ai;

/**
 * One call to a provider failed (timeout, refused connection, HTTP error, unreadable answer). The
 * message is safe to show to users and to log: it never holds a key or the prompt.
 */
final class ProviderException extends Exception {
    private static final long serialVersionUID = 1L;

    ProviderException(String message) {
        super(message, null, false, false);
    }
}
