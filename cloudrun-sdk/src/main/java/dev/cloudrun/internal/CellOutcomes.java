package dev.cloudrun.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * How a cell of a {@link StatefulInterpreter} ended, decided by one ordered list of rules from what
 * the host saw: whether it stopped the process itself (and why), the report the driver's marker
 * carried, and how the process's run ended.
 */
final class CellOutcomes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SYNTAX_ERRORS = Set.of("SyntaxError", "IndentationError", "TabError");

    /** Why the host killed the process during the cell, if it did. */
    enum HostStop {
        /** It did not: the cell reported, or the process ended by itself. */
        NONE,
        /** The interpreter was closed meanwhile. */
        CLOSED,
        /** The cell ran past its time limit. */
        TIME_LIMIT,
        /** The cell wrote more than the output cap. */
        OUTPUT_LIMIT,
        /** The process's output broke the marker format. */
        BROKEN_MARKERS
    }

    /**
     * The verdict on one cell, before the output and the restart are added.
     *
     * @param status the status
     * @param value the final expression's repr
     * @param error the exception's type name
     * @param exitCode sys.exit's code or the process's, -1 for none
     * @param signal the signal that killed the process, 0 for none
     * @param interpreterEnded whether the process ended with the cell
     * @param cause when it did, why, in a few words (for the next cell's message); else null
     * @param message one sentence
     */
    record Outcome(Status status, Optional<String> value, Optional<String> error, int exitCode, int signal,
                   boolean interpreterEnded, String cause, String message) { }

    private CellOutcomes() { }

    /**
     * @param stop why the host stopped the process, if it did
     * @param timeLimit the cell's time limit
     * @param outputCap the cell's output cap in bytes
     * @param brokenWhy how the markers broke (for {@link HostStop#BROKEN_MARKERS})
     * @param report the driver's report, when both markers came (else null)
     * @param ended how the process's run ended, when it has (else null)
     * @return the verdict
     */
    static Outcome decide(HostStop stop, Duration timeLimit, long outputCap, String brokenWhy, byte[] report, RunResult ended) {
        String lost = ": the interpreter was stopped and its state is lost.";
        switch (stop) {
            case CLOSED:
                return ended(Status.CANCELLED, -1, 0, "it was closed", "the interpreter was closed during the cell.");
            case TIME_LIMIT:
                String late = "a cell ran past its time limit of " + timeLimit.toMillis() + " ms";
                return ended(Status.TIME_LIMIT, -1, 0, late, "the cell ran past its time limit of " + timeLimit.toMillis() + " ms" + lost);
            case OUTPUT_LIMIT:
                return ended(Status.OUTPUT_LIMIT, -1, 0, "a cell wrote more than " + outputCap + " bytes",
                        "the cell wrote more than " + outputCap + " bytes of output" + lost);
            default:
                break;
        }
        if (report != null) {
            return reported(report);
        }
        if (stop == HostStop.BROKEN_MARKERS) {
            return ended(Status.RUNTIME_ERROR, -1, 0, "a cell's output broke its markers",
                    "the cell's output broke the interpreter's end-of-cell markers (" + brokenWhy + ")" + lost);
        }
        if (ended == null) {
            return ended(Status.INTERNAL_ERROR, -1, 0, "a cell ended without a report",
                    "the cell ended without a report and its interpreter is still running.");
        }
        Status status = switch (ended.status()) {
            case MEMORY_LIMIT, TIME_LIMIT, OUTPUT_LIMIT, CANCELLED, INTERNAL_ERROR -> ended.status();
            default -> Status.RUNTIME_ERROR;
        };
        return ended(status, ended.exitCode(), ended.signal().orElse(0), "during a cell it " + describe(ended),
                "the interpreter ended during the cell (" + describe(ended) + "): its state is lost and the next cell"
                        + " starts a fresh one.");
    }

    /** The rules for a cell the driver reported on: the process and its state stay. */
    private static Outcome reported(byte[] bytes) {
        JsonNode report;
        try {
            report = JSON.readTree(bytes);
        } catch (IOException e) {
            report = JSON.createObjectNode();
        }
        String error = report.path("error").asText(null);
        int exitCode = report.path("exitCode").asInt(-1);
        Optional<String> value = Optional.ofNullable(report.path("value").asText(null));
        String kept = "; the interpreter and its state stay.";
        return switch (report.path("status").asText("")) {
            case "ok" -> new Outcome(Status.OK, value, Optional.empty(), exitCode, 0, false, null, "the cell ran.");
            case "exit" -> new Outcome(Status.RUNTIME_ERROR, Optional.empty(), Optional.empty(), exitCode, 0, false, null,
                    "the cell called sys.exit(" + exitCode + ")" + kept);
            case "error" -> new Outcome("MemoryError".equals(error) ? Status.MEMORY_LIMIT : Status.RUNTIME_ERROR,
                    Optional.empty(), Optional.ofNullable(error), -1, 0, false, null,
                    (SYNTAX_ERRORS.contains(error) ? "the cell has a " + error + " and did not run" : "the cell raised " + error)
                            + " (the traceback is on its stderr)" + kept);
            default -> new Outcome(Status.RUNTIME_ERROR, Optional.empty(), Optional.empty(), -1, 0, false, null,
                    "the cell's end-of-cell report was unreadable (did the cell print a marker of its own?)" + kept);
        };
    }

    /**
     * @param ended how a process's run ended
     * @return it in words: its exit code or signal, or the run's message
     */
    static String describe(RunResult ended) {
        if (ended.status() == Status.OK || ended.status() == Status.RUNTIME_ERROR) {
            return ended.signal().map(signal -> "killed by signal " + signal).orElse("exited with code " + ended.exitCode());
        }
        return ended.message().isBlank() ? ended.status().name() : ended.message();
    }

    private static Outcome ended(Status status, int exitCode, int signal, String cause, String message) {
        return new Outcome(status, Optional.empty(), Optional.empty(), exitCode, signal, true, cause, message);
    }
}
