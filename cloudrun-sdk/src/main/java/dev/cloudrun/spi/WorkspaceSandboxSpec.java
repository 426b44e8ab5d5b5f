package dev.cloudrun.spi;

import dev.cloudrun.Language;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a backend needs to create a workspace sandbox: its id, the language whose toolchain (image)
 * it holds, the starting files (written before anything untrusted has run), and the kernel limits
 * for everything that runs in it.
 *
 * @param id a unique id (a name for containers, folders and cgroups)
 * @param language the language
 * @param files the starting files, by checked relative path
 * @param memoryBytes memory of all its processes together
 * @param maxProcesses processes and threads at once
 * @param cpus CPU share in CPUs
 * @param diskBytes the file tree's cap
 * @param network whether programs may reach the network
 * @param privateEndpoints endpoints on this host or a private network the workspace may reach (the fence's openings)
 */
public record WorkspaceSandboxSpec(String id, Language language, Map<String, byte[]> files, long memoryBytes,
                                   int maxProcesses, double cpus, long diskBytes, boolean network,
                                   List<NetworkEndpoint> privateEndpoints) {

    /** Checks and copies the components. */
    public WorkspaceSandboxSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(language, "language");
        Map<String, byte[]> copy = new LinkedHashMap<>();
        Objects.requireNonNull(files, "files").forEach((path, content) -> copy.put(path, content.clone()));
        files = Collections.unmodifiableMap(copy);
        privateEndpoints = List.copyOf(privateEndpoints);
    }
}
