package dev.cloudrun.spi;

import dev.cloudrun.Language;
import java.util.Map;
import java.util.Objects;

/**
 * What a sandbox is created with.
 *
 * @param runId unique id of the run, for labels and names
 * @param language the run's language
 * @param files every file of the workspace by validated relative path (the main file included)
 * @param workspaceBytes how large the writable workspace may grow
 */
public record SandboxSpec(String runId, Language language, Map<String, byte[]> files, long workspaceBytes) {
    /** Checks the components. */
    public SandboxSpec {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(language, "language");
        files = Map.copyOf(files);
    }
}
