package dev.cloudrun;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A run in progress, returned by {@link CodeRunner#start(RunRequest, RunListener)}. Thread-safe.
 * Closing it cancels the run if it has not finished, so use it in try-with-resources.
 */
public interface Execution extends AutoCloseable {

    /** @return a unique id for this run, also found in the sandbox's labels and logs */
    String id();

    /** @return the phase the run is in now */
    Phase phase();

    /**
     * Writes bytes to the program's standard input. Bytes written before the program starts are
     * delivered when it does. Needs {@link RunRequest#withInteractiveStdin()}.
     *
     * @param bytes the bytes to write
     * @throws IllegalStateException if stdin was not interactive or is already closed
     */
    void writeStdin(byte[] bytes);

    /**
     * Writes text, encoded as UTF-8, to the program's standard input.
     *
     * @param text the text to write
     * @throws IllegalStateException if stdin was not interactive or is already closed
     */
    default void writeStdin(String text) {
        writeStdin(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Closes standard input: the program reads end-of-file after what was written. Idempotent. */
    void closeStdin();

    /** Stops the run and every process it started; it ends {@link Status#CANCELLED}. Idempotent. */
    void cancel();

    /**
     * Waits until the run is over.
     *
     * @return the result
     * @throws CloudRunException if the waiting thread is interrupted
     */
    RunResult await();

    /**
     * Waits at most {@code timeout} for the run to end; the run goes on if it has not.
     *
     * @param timeout how long to wait
     * @return the result, or empty if the run is still going
     * @throws CloudRunException if the waiting thread is interrupted
     */
    Optional<RunResult> await(Duration timeout);

    /** @return a future completed with the result when the run ends (never completed exceptionally) */
    CompletableFuture<RunResult> result();

    /** Cancels the run if it is still going. */
    @Override
    void close();
}
