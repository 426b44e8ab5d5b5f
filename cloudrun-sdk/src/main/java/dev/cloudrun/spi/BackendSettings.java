package dev.cloudrun.spi;

/**
 * What {@link dev.cloudrun.CodeRunner}'s configuration tells a backend it creates through a
 * {@link SandboxBackendProvider}.
 *
 * @param maxConcurrentRuns how many runs may execute at once (sizes pools); at least 1
 * @param allowUnfencedNetwork whether network-enabled steps may run where the backend cannot fence
 *     them off this host and private networks
 */
public record BackendSettings(int maxConcurrentRuns, boolean allowUnfencedNetwork) {
    /** Checks the components. */
    public BackendSettings {
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("maxConcurrentRuns must be at least 1, was " + maxConcurrentRuns);
        }
    }
}
