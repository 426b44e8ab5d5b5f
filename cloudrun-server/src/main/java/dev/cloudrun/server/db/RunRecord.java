package dev.cloudrun.server.db;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One run in a user's history.
 *
 * @param id the run id (the SDK's execution id)
 * @param userId who started it
 * @param projectId the project it ran from, or null for inline files
 * @param language the language id
 * @param entryPath the file it ran (a project's entry or the request's main file), or null when not named
 * @param via what started it: {@code websocket} (the IDE), {@code api} ({@code POST /api/runs}), {@code mcp}
 *     (an agent at {@code /mcp}), or a compatible API ({@code jobe}, {@code piston}, {@code judge0})
 * @param status the SDK status name, or {@code RUNNING} while it runs
 * @param exitCode the exit code, or null while it runs
 * @param wallTimeMs wall-clock time of the run step
 * @param cpuTimeMs CPU time of the run step
 * @param memoryBytes peak memory
 * @param stdoutBytes captured standard output size
 * @param stderrBytes captured standard error size
 * @param message the SDK's explanation of the status
 * @param startedAtMillis start time
 * @param finishedAtMillis end time, or null while it runs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunRecord(String id, String userId, String projectId, String language, String entryPath, String via, String status,
                        Integer exitCode, Long wallTimeMs, Long cpuTimeMs, Long memoryBytes, Long stdoutBytes,
                        Long stderrBytes, String message, long startedAtMillis, Long finishedAtMillis) { }
