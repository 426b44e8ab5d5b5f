package dev.cloudrun.server.compat.jobe;

/** A request Jobe refuses: answered with the HTTP status and the message as a JSON string, as Jobe does. */
final class JobeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    JobeException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
