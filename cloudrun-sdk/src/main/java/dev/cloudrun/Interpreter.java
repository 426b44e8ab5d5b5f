package dev.cloudrun;

import java.time.Duration;

/**
 * A stateful interpreter in a {@link Workspace} ({@link Workspace#openInterpreter(String)}), as a
 * notebook kernel is: the cells given to {@link #execute} run one after another in one long-lived
 * process, so what a cell defines (variables, imports, functions, classes, a changed working
 * directory) is there for the next. It runs in the workspace's sandbox, against its files, under its
 * limits, as its other runs do.
 *
 * <p>A cell that raises, or has a syntax error, ends {@link Status#RUNTIME_ERROR} with the traceback
 * on its stderr, and the state stays. A cell over its time limit, over the output limit, or that
 * ends the process (a crash, {@code os._exit}, a kill at the memory limit) ends the interpreter: the
 * result says so ({@link CellResult#interpreterEnded()}) and the next cell starts a fresh one
 * ({@link CellResult#restarted()}). The process also has a lifetime: the runner's largest wall-clock
 * and CPU time limits and output limit, over all its cells, after which it ends in the same way. Reading stdin in a cell gets end-of-file.
 *
 * <p>Cells are told apart from one another in the process's output by markers carrying a random
 * nonce of this interpreter's. Code in a cell could print a forged marker; that confuses only its own
 * interpreter's results. Thread-safe: cells run one at a time, a second caller waits. Closing it (or
 * the workspace) kills the process and what it started.
 */
public interface Interpreter extends AutoCloseable {

    /** The most bytes of UTF-8 one cell's code may hold: 1 MiB. */
    int MAX_CODE_BYTES = 1 << 20;

    /** @return the interpreter's language id (canonical, such as {@code python}) */
    String language();

    /**
     * Runs one cell and waits for its end. Its stdout and stderr stream to the listener as they come
     * (only output, no phases) and come back in the result, at most the runner's default output
     * limit (stdout and stderr together) per cell; a cell that writes more is stopped
     * ({@link Status#OUTPUT_LIMIT}). When the cell ends with an expression, the {@code repr} of its
     * value (unless {@code None}) is {@link CellResult#value()}, not printed, and is also bound to {@code _}.
     * The first cell, and the first after the interpreter ended, starts the process: a run of the
     * workspace, which waits in the runner's queue like any other (at most a minute) and then holds
     * one of its slots while it lives.
     *
     * @param code the cell's source, at most {@value #MAX_CODE_BYTES} bytes of UTF-8
     * @param timeLimit how long the cell may run (wall clock), counted once the interpreter is ready
     * @param listener receives the cell's output
     * @return how the cell ended
     * @throws InvalidRequestException naming {@code code} or {@code timeLimit} when one is invalid
     * @throws QueueFullException if a fresh process must start and the runner's queue is full
     * @throws CloudRunException if the interpreter or its workspace is closed
     */
    CellResult execute(String code, Duration timeLimit, RunListener listener);

    /**
     * @param code the cell's source
     * @param timeLimit how long the cell may run
     * @return how the cell ended
     */
    default CellResult execute(String code, Duration timeLimit) {
        return execute(code, timeLimit, RunListener.NONE);
    }

    /** @return whether a process holds state now (false before the first cell and after one ended it) */
    boolean isAlive();

    /** Kills the process and everything it started; idempotent. Later {@link #execute} calls fail. */
    @Override
    void close();
}
