package dev.cloudrun.docker;

import dev.cloudrun.CloudRunException;

/**
 * A request that creates, attaches to or starts a container did not return within
 * {@link DockerBackendOptions#startTimeout(java.time.Duration)}: the daemon or the container
 * runtime hangs. The container must be removed as a hung one ({@link DockerJanitor#removeHungContainer}).
 */
final class ContainerStartTimeoutException extends CloudRunException {
    private static final long serialVersionUID = 1L;

    ContainerStartTimeoutException(String message) {
        super(message);
    }
}
