package dev.cloudrun.mcp;

import dev.cloudrun.RunResult;
import io.modelcontextprotocol.server.McpSyncServerExchange;

/**
 * Hears of each run the tools start ({@code run_code}, {@code run_in_session}, stateful cells
 * included, and {@code install_packages}), for a host that keeps a run history: the IDE server
 * records them so that {@code GET /api/runs} lists an agent's runs with the user's others. Both
 * methods are called on the tool's thread; they must not throw (a history that fails must not fail
 * the run) and should be quick, as the answer waits for {@link Entry#finished}.
 */
public interface RunJournal {
    /** Keeps nothing (stdio). */
    RunJournal NONE = (exchange, tool, runId, language, mainFile) -> result -> { };

    /**
     * A run has started.
     *
     * @param exchange the call's exchange: who asked
     * @param tool the tool that started it
     * @param runId the run's id (the execution's; a fresh one for a stateful cell)
     * @param language the language id
     * @param mainFile the file it runs when the call named one, or null
     * @return what to tell the run's end
     */
    Entry started(McpSyncServerExchange exchange, String tool, String runId, String language, String mainFile);

    /** One run's record. */
    interface Entry {
        /**
         * @param result how the run ended (a failure of the system as an {@code INTERNAL_ERROR} result, a
         *     cancellation as {@code CANCELLED})
         */
        void finished(RunResult result);
    }
}
