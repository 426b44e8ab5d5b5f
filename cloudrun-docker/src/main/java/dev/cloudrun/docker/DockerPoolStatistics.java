package dev.cloudrun.docker;

/**
 * What the Docker backend's warm pool holds and has done ({@link DockerSandboxBackend#poolStatistics()}),
 * for monitoring and benchmarks.
 *
 * @param ready sandboxes ready for a run now
 * @param readyInterpreters of those, the ones with a pre-started interpreter
 * @param hits runs that took a ready sandbox
 * @param misses runs that found none ready and started cold
 * @param built sandboxes built and made ready so far
 * @param interpretersServed runs handed to a pre-started interpreter
 * @param idleMemoryBytes the memory the ready sandboxes' containers are charged now (their cgroups,
 *     page cache included), or -1 when their cgroups are not readable here
 */
public record DockerPoolStatistics(int ready, int readyInterpreters, long hits, long misses, long built,
                                   long interpretersServed, long idleMemoryBytes) {
    /** The statistics of a backend without a pool. */
    static final DockerPoolStatistics NONE = new DockerPoolStatistics(0, 0, 0, 0, 0, 0, 0);
}
