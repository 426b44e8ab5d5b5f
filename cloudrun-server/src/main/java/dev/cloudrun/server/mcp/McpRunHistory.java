package dev.cloudrun.server.mcp;

import dev.cloudrun.RunResult;
import dev.cloudrun.mcp.RunJournal;
import dev.cloudrun.server.db.RunRecord;
import dev.cloudrun.server.db.RunRepository;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import java.time.Clock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the runs of {@code /mcp} in the run history with {@code via} = {@value #VIA}, as
 * {@code RunService} records the IDE's and {@code POST /api/runs}' runs: {@code RUNNING} when it starts,
 * its status, exit code, times and sizes when it ends, so that {@code GET /api/runs} lists an agent's
 * runs with the user's others (their output is not kept: the agent has it). A failing history is
 * logged, never the run's failure.
 */
final class McpRunHistory implements RunJournal {
    private static final Logger LOG = LoggerFactory.getLogger(McpRunHistory.class);
    /** What the history's {@code via} says of these runs. */
    static final String VIA = "mcp";

    private final RunRepository history;
    private final Clock clock;
    private final Function<McpSyncServerExchange, String> userOf;

    /**
     * @param history the run history
     * @param clock the time source
     * @param userOf the id of the user whose key made the call
     */
    McpRunHistory(RunRepository history, Clock clock, Function<McpSyncServerExchange, String> userOf) {
        this.history = history;
        this.clock = clock;
        this.userOf = userOf;
    }

    @Override
    public Entry started(McpSyncServerExchange exchange, String tool, String runId, String language, String mainFile) {
        String userId = userOf.apply(exchange);
        long startedAt = clock.millis();
        try {
            history.insertStarted(new RunRecord(runId, userId, null, language, mainFile, VIA, "RUNNING", null, null, null,
                    null, null, null, null, startedAt, null));
        } catch (RuntimeException e) {
            LOG.error("could not record the start of MCP run {} ({})", runId, tool, e);
            return result -> { };
        }
        return result -> complete(runId, userId, language, startedAt, result);
    }

    private void complete(String runId, String userId, String language, long startedAt, RunResult result) {
        try {
            history.complete(new RunRecord(runId, userId, null, language, null, VIA, result.status().name(),
                    result.exitCode(), result.wallTime().toMillis(), result.cpuTime().toMillis(), result.memoryBytes(),
                    (long) result.stdoutBytes().length, (long) result.stderrBytes().length, truncate(result.message()),
                    startedAt, clock.millis()));
        } catch (RuntimeException e) {
            LOG.error("could not record the end of MCP run {}", runId, e);
        }
    }

    private static String truncate(String text) {
        return text == null || text.length() <= 1000 ? text : text.substring(0, 1000);
    }
}
