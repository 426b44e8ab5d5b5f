package dev.cloudrun.docker;

import dev.cloudrun.Limits;
import dev.cloudrun.spi.StepSpec;

/**
 * What of a step must be fixed when its container is created: the kind of step and the limits
 * Docker sets at creation (memory and swap, the pids cgroup, the {@code nofile} and {@code fsize}
 * ulimits). Two steps with equal profiles can run in containers created alike, so the warm pool
 * keeps its containers per profile. The command, the environment, the files and stdin are not
 * part of it: a pre-started container receives them when it is taken ({@link WarmLauncher}).
 *
 * @param kind the kind of step
 * @param memoryBytes the memory limit (swap is the same)
 * @param maxProcesses the process limit
 * @param maxOpenFiles the open-file limit
 * @param maxFileSizeBytes the file-size limit
 * @param stackBytes the stack limit
 */
record StepProfile(StepSpec.Kind kind, long memoryBytes, int maxProcesses, int maxOpenFiles, long maxFileSizeBytes,
                   long stackBytes) {

    /**
     * @param step a step
     * @return its profile, or null when the step cannot run in a pre-started container: it uses the
     *     network or a package cache (mounted at creation), or its command or environment cannot
     *     travel through the launcher's frame unchanged
     */
    static StepProfile of(StepSpec step) {
        if (step.network() || !step.cacheMounts().isEmpty() || !step.privateEndpoints().isEmpty()
                || !WarmLauncher.canCarry(step)) {
            return null;
        }
        return of(step.kind(), step.limits());
    }

    /**
     * @param kind the kind of step
     * @param limits its limits
     * @return the profile
     */
    static StepProfile of(StepSpec.Kind kind, Limits limits) {
        return new StepProfile(kind, limits.memoryBytes(), limits.maxProcesses(), limits.maxOpenFiles(),
                limits.maxFileSizeBytes(), limits.stackBytes());
    }
}
