package dev.cloudrun.spi;

import dev.cloudrun.Limits;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One command to run inside a sandbox.
 *
 * @param kind compile, run or install
 * @param command the argument list, placeholders already expanded
 * @param env the only environment variables the command gets (besides the backend's minimal
 *     {@code PATH}, {@code HOME}, {@code LANG})
 * @param limits the limits to enforce; the backend enforces memory, processes, file size, open
 *     files and CPU time (as the kernel allows); the caller also enforces wall time, CPU time and
 *     output volume by killing the step
 * @param network whether the step may use the network. Network-enabled steps are still fenced off
 *     from this host's own services and from private networks where the backend can enforce it
 * @param cacheMounts package caches to mount into the step
 * @param privateEndpoints endpoints on this host or in a private network that the step may reach
 *     anyway (a package index mirror for an install step); empty for most steps
 */
public record StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                       List<CacheMount> cacheMounts, List<NetworkEndpoint> privateEndpoints) {

    /** What a step is for. */
    public enum Kind {
        /** Compiling the program. */
        COMPILE,
        /** Running the program. */
        RUN,
        /** Installing the program's dependencies. */
        INSTALL
    }

    /**
     * A step without package caches.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network) {
        this(kind, command, env, limits, network, List.of(), List.of());
    }

    /**
     * A step that reaches no private endpoint.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     * @param cacheMounts package caches to mount into the step
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                    List<CacheMount> cacheMounts) {
        this(kind, command, env, limits, network, cacheMounts, List.of());
    }

    /** Checks and copies the components. */
    public StepSpec {
        Objects.requireNonNull(kind, "kind");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(limits, "limits");
        cacheMounts = List.copyOf(cacheMounts);
        privateEndpoints = List.copyOf(privateEndpoints);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
    }
}
