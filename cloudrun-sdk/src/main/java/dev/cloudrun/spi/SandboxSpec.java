package dev.cloudrun.spi;

import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a sandbox is created with.
 *
 * @param runId unique id of the run, for labels and names
 * @param language the run's language
 * @param files every file of the workspace by validated relative path (the main file included)
 * @param workspaceBytes how large the writable workspace may grow
 * @param executables which of {@code files} the backend makes executable (mode {@code 0755}
 *     instead of {@code 0644}): compiled artefacts carried over from an earlier sandbox
 * @param runLimits the run's limits, which its steps are made from, or null when unknown: a hint for a
 *     backend that prepares sandboxes ahead, so that runs with other limits each find theirs (the
 *     steps themselves still carry the limits that apply)
 */
public record SandboxSpec(String runId, Language language, Map<String, byte[]> files, long workspaceBytes,
                          Set<String> executables, Limits runLimits) {
    /**
     * A sandbox whose run's limits are not known ahead.
     *
     * @param runId unique id of the run
     * @param language the run's language
     * @param files every file of the workspace by validated relative path
     * @param workspaceBytes how large the writable workspace may grow
     * @param executables which of {@code files} the backend makes executable
     */
    public SandboxSpec(String runId, Language language, Map<String, byte[]> files, long workspaceBytes,
                       Set<String> executables) {
        this(runId, language, files, workspaceBytes, executables, null);
    }

    /**
     * A sandbox whose files are all plain, not executable.
     *
     * @param runId unique id of the run
     * @param language the run's language
     * @param files every file of the workspace by validated relative path
     * @param workspaceBytes how large the writable workspace may grow
     */
    public SandboxSpec(String runId, Language language, Map<String, byte[]> files, long workspaceBytes) {
        this(runId, language, files, workspaceBytes, Set.of());
    }

    /** Checks the components. */
    public SandboxSpec {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(language, "language");
        files = Map.copyOf(files);
        executables = Set.copyOf(executables);
        if (!files.keySet().containsAll(executables)) {
            throw new IllegalArgumentException("executables must name files of the sandbox");
        }
    }
}
