package dev.cloudrun.spi;

import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/** A step running in a sandbox. */
public interface SandboxProcess {

    /**
     * The program's standard input. Closing it delivers end-of-file to the program.
     *
     * @return the stream; writes fail with an {@link java.io.IOException} once the program is gone
     */
    OutputStream stdin();

    /** Kills the step and every process it started. Returns quickly; idempotent. */
    void kill();

    /**
     * CPU time the step has used so far, summed over its processes, as the kernel counts it.
     *
     * @return the CPU time, or {@link Duration#ZERO} if the backend cannot tell while running
     */
    Duration cpuTimeSoFar();

    /**
     * Waits for the step to end and its output to be fully delivered to the sink.
     *
     * @param timeout how long to wait at most
     * @return the outcome, or empty if it is still running
     * @throws InterruptedException if the waiting thread is interrupted
     */
    Optional<StepOutcome> await(Duration timeout) throws InterruptedException;
}
