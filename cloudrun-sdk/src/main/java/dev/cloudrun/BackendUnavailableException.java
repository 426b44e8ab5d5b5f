package dev.cloudrun;

/**
 * The chosen sandbox backend cannot run code on this host: bubblewrap is not installed, the Docker
 * daemon does not answer, a language image is missing. The message says how to fix it.
 */
public class BackendUnavailableException extends CloudRunException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is missing and the command that installs or starts it
     */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is missing and the command that installs or starts it
     * @param cause the underlying failure
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
