package dev.cloudrun;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one cell of an {@link Interpreter} ended.
 *
 * @param status {@link Status#OK}; {@link Status#RUNTIME_ERROR} for an uncaught exception, a syntax
 *     error, {@code sys.exit} with a non-zero code, or a process that crashed; {@link Status#MEMORY_LIMIT}
 *     for a {@code MemoryError} (the state stays) or a kill at the memory limit; {@link Status#TIME_LIMIT}
 *     when the cell passed its time limit or the interpreter its lifetime; {@link Status#OUTPUT_LIMIT};
 *     {@link Status#CANCELLED} when the interpreter or workspace closed meanwhile; {@link Status#INTERNAL_ERROR}
 * @param stdout what the cell wrote to stdout, as UTF-8
 * @param stderr what it wrote to stderr, with the traceback of an uncaught exception as Python prints it
 *     (the driver's own frames left out)
 * @param value the {@code repr} of the cell's final expression, when it had one whose value is not
 *     {@code None} (at most 64 Ki characters, then cut with {@code ...})
 * @param error the uncaught exception's type name, such as {@code ZeroDivisionError} or {@code SyntaxError}
 * @param exitCode the code given to {@code sys.exit} (the state stays), or the process's exit code when
 *     it ended; -1 when neither
 * @param signal the signal that killed the process, 0 for none
 * @param restarted whether the cell ran in a fresh process because an earlier one had ended: what
 *     earlier cells defined is gone
 * @param interpreterEnded whether the process ended with this cell (a limit, a crash): the next cell
 *     starts a fresh one
 * @param wallTime how long the cell ran, as the host measured it
 * @param message one sentence on how it ended, for people and agents
 */
public record CellResult(Status status, String stdout, String stderr, Optional<String> value, Optional<String> error,
                         int exitCode, int signal, boolean restarted, boolean interpreterEnded, Duration wallTime,
                         String message) {

    /** Checks the components are there. */
    public CellResult {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(wallTime, "wallTime");
        Objects.requireNonNull(message, "message");
    }

    /** @return whether the cell ended {@link Status#OK} */
    public boolean isOk() {
        return status == Status.OK;
    }

    /** @return the status, flags and message on one line (no output), for logs */
    @Override
    public String toString() {
        return "CellResult{" + status + (exitCode >= 0 ? ", exitCode=" + exitCode : "") + (signal > 0 ? ", signal=" + signal : "")
                + error.map(name -> ", error=" + name).orElse("") + (restarted ? ", restarted" : "")
                + (interpreterEnded ? ", interpreterEnded" : "") + ", wallTimeMs=" + wallTime.toMillis() + ", message=" + message + "}";
    }
}
