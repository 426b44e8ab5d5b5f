package dev.cloudrun.spi;

/**
 * One run's isolated workspace. Steps started in it (compile, then run) share its files. Closing
 * it kills whatever still runs and removes every trace of it; closing twice is harmless.
 */
public interface Sandbox extends AutoCloseable {

    /**
     * Starts a step. Output goes to {@code sink} as it is produced, from threads of the backend.
     *
     * @param step the command and its limits
     * @param sink receives every chunk of stdout and stderr, in order per stream
     * @return the running step
     * @throws dev.cloudrun.CloudRunException if it cannot be started
     */
    SandboxProcess start(StepSpec step, OutputSink sink);

    /** Kills what still runs and destroys the sandbox. */
    @Override
    void close();
}
