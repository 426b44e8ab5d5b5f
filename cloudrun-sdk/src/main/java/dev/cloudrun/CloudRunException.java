package dev.cloudrun;

/**
 * Root of CloudRun's exception family: a failure of the system itself (a sandbox that cannot be
 * created, a backend that is not reachable, a request that is malformed).
 *
 * <p>A user's program that crashes, times out or runs out of memory is never an exception: it is a
 * {@link RunResult} with the matching {@link Status}.
 */
public class CloudRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message for humans.
     *
     * @param message what went wrong and, where possible, what to do about it
     */
    public CloudRunException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the underlying cause.
     *
     * @param message what went wrong and, where possible, what to do about it
     * @param cause the underlying failure
     */
    public CloudRunException(String message, Throwable cause) {
        super(message, cause);
    }
}
