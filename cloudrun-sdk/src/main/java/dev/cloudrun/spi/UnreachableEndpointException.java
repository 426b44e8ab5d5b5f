package dev.cloudrun.spi;

import dev.cloudrun.CloudRunException;

/**
 * A step could not start because an endpoint it must reach ({@link StepSpec#privateEndpoints()},
 * such as a package index) cannot be reached from this host: its name does not resolve. Not a
 * failure of the sandbox: the engine tells the user which endpoint and what to configure.
 */
public class UnreachableEndpointException extends CloudRunException {
    private static final long serialVersionUID = 1L;

    private final String host;

    /**
     * @param host the host name that does not resolve
     * @param cause the resolver's failure
     */
    public UnreachableEndpointException(String host, Throwable cause) {
        super("cannot resolve " + host + " to let the sandbox reach it", cause);
        this.host = host;
    }

    /** @return the host name that does not resolve */
    public String host() {
        return host;
    }
}
