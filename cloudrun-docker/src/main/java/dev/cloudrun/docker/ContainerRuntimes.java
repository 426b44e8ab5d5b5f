package dev.cloudrun.docker;

import com.github.dockerjava.api.model.RuntimeInfo;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which OCI runtime the backend's containers use, decided once at creation from the options and the
 * runtimes the daemon lists ({@code docker info}): the step runtime ({@link DockerBackendOptions#runtime(String)}),
 * and the runtime of steps with network on. gVisor registered for network-less containers
 * ({@code runsc --network=none}) cannot start a container that has a network, so those steps use the
 * {@code <runtime>-net} entry, or {@link DockerBackendOptions#networkRuntime(String)}; when neither
 * exists they are refused with a message that says how to register one.
 *
 * @param runtime the runtime of every container, or null for the daemon's default
 * @param networkRuntime the runtime of steps with network on, or null (see {@code networkProblem})
 * @param networkProblem why steps with network cannot run, or null when they can
 * @param gvisor whether the runtime is gVisor's {@code runsc}, whose programs are not host processes
 *     (see {@link #gvisor()})
 */
record ContainerRuntimes(String runtime, String networkRuntime, String networkProblem, boolean gvisor) {
    static final String ENABLE_HINT = "install gVisor (apt-get install runsc) and run scripts/enable-gvisor.sh, which"
            + " registers the runtimes runsc and runsc-net in /etc/docker/daemon.json and reloads the daemon";

    /** The daemon's default runtime for everything. */
    static final ContainerRuntimes DEFAULT = new ContainerRuntimes(null, null, null, false);

    /**
     * Decides the runtimes.
     *
     * @param options the backend's options
     * @param known the daemon's runtimes by name (from {@code docker info}); null when it does not say
     * @param daemon the daemon's address, for messages
     * @return the runtimes to use
     * @throws BackendUnavailableException if the daemon does not know a runtime the options name
     */
    static ContainerRuntimes resolve(DockerBackendOptions options, Map<String, RuntimeInfo> known, String daemon) {
        String runtime = options.runtime();
        if (runtime == null) {
            return DEFAULT;
        }
        Map<String, RuntimeInfo> runtimes = known == null ? Map.of() : known;
        requireKnown(runtime, runtimes, daemon, "runtime");
        boolean gvisor = isGvisor(runtimes.get(runtime));
        String explicit = options.networkRuntime();
        if (explicit != null) {
            requireKnown(explicit, runtimes, daemon, "networkRuntime");
            return new ContainerRuntimes(runtime, explicit, null, gvisor);
        }
        if (runtimes.containsKey(runtime + "-net")) {
            return new ContainerRuntimes(runtime, runtime + "-net", null, gvisor);
        }
        if (gvisor) {
            // docker-java's model drops runtimeArgs, so whether this entry has --network=none cannot be seen;
            // registered as scripts/enable-gvisor.sh does, it has.
            return new ContainerRuntimes(runtime, null, "the Docker runtime " + runtime + " is gVisor, registered for"
                    + " containers without network (--network=none), and the daemon has no " + runtime + "-net runtime for"
                    + " steps with network on: run scripts/enable-gvisor.sh, or register a runsc runtime without"
                    + " --network=none in /etc/docker/daemon.json and name it with DockerBackendOptions.networkRuntime", gvisor);
        }
        return new ContainerRuntimes(runtime, runtime, null, gvisor);
    }

    private static void requireKnown(String name, Map<String, RuntimeInfo> runtimes, String daemon, String option) {
        if (!runtimes.containsKey(name)) {
            throw new BackendUnavailableException("the Docker daemon at " + daemon + " has no runtime '" + name
                    + "' (DockerBackendOptions." + option + "; it has: " + String.join(", ", new TreeSet<>(runtimes.keySet()))
                    + "): " + (name.startsWith("runsc") ? ENABLE_HINT
                    : "register it under \"runtimes\" in /etc/docker/daemon.json and reload the daemon (SIGHUP)"));
        }
    }

    private static boolean isGvisor(RuntimeInfo info) {
        return info != null && info.getPath() != null && Path.of(info.getPath()).getFileName().toString().startsWith("runsc");
    }

    /**
     * Whether containers run on gVisor's kernel. Their programs are then tasks of the Sentry, not
     * host processes: the pids cgroup counts gVisor's own threads (the Sentry, the Gofer, the ptrace
     * platform's stubs) and must leave room for them, while {@code RLIMIT_NPROC}, which gVisor counts
     * inside the sandbox alone, limits the program's processes and threads (under runc that rlimit
     * counts every process of uid 1000 on the host, so there only the pids cgroup is used).
     *
     * @return true for {@code runsc}
     */
    @Override
    public boolean gvisor() {
        return gvisor;
    }

    /**
     * The security options of every container: {@code no-new-privileges} and CloudRun's seccomp
     * profile ({@link SeccompProfile}), in its gVisor form under gVisor. runsc applies a container's
     * profile inside the sandbox only with {@code --oci-seccomp} (which {@code scripts/enable-gvisor.sh}
     * passes), and turns an {@code ENOSYS} answer to {@code clone3} into {@code EPERM}, on which glibc
     * never falls back to {@code clone} (threads could not be created): so there the profile leaves
     * {@code clone3} to gVisor's own kernel.
     *
     * @return the {@code SecurityOpt} list
     */
    List<String> securityOptions() {
        List<String> options = new ArrayList<>(List.of("no-new-privileges:true"));
        (gvisor ? SeccompProfile.gvisorSecurityOpt() : SeccompProfile.securityOpt()).ifPresent(options::add);
        return List.copyOf(options);
    }

    /**
     * The runtime of one container.
     *
     * @param withNetwork whether the container has a network (not {@code none})
     * @return the runtime name, or null for the daemon's default
     * @throws CloudRunException if steps with network cannot run with the chosen runtime
     */
    String forContainer(boolean withNetwork) {
        if (!withNetwork || runtime == null) {
            return runtime;
        }
        if (networkRuntime == null) {
            throw new CloudRunException(networkProblem);
        }
        return networkRuntime;
    }
}
