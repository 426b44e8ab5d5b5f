package dev.cloudrun.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * How a step ended, as measured by the backend.
 *
 * @param exitCode the exit code; 128+N for a death by signal N
 * @param wallTime from start to exit
 * @param cpuTime CPU time of all the step's processes, from the kernel
 * @param peakMemoryBytes peak memory of the step, from the kernel (0 if unknown)
 * @param oomKilled whether the kernel's OOM killer stopped a process of the step
 * @param failure a description of a failure of the sandbox itself (not of the program), or null
 */
public record StepOutcome(int exitCode, Duration wallTime, Duration cpuTime, long peakMemoryBytes,
                          boolean oomKilled, String failure) {
    /** Checks the components. */
    public StepOutcome {
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(cpuTime, "cpuTime");
    }

    /** @return the signal that ended the step (exit code 129 to 159), or 0 */
    public int signal() {
        return exitCode > 128 && exitCode < 160 ? exitCode - 128 : 0;
    }
}
