package dev.cloudrun.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.internal.NetworkFence;
import dev.cloudrun.internal.NetworkPolicy;
import dev.cloudrun.spi.StepSpec;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which network a step's container joins. Steps without network get {@code none}; steps with network
 * join CloudRun's own bridge network ({@value DockerSandboxBackend#NETWORK}, created at the first
 * such step, interface {@code crun-} plus the daemon's id, no traffic between containers), which a
 * {@link NetworkFence} fences off this host and private networks when the daemon runs on this host
 * and the JVM is root. A step that cannot be fenced is refused unless
 * {@link DockerBackendOptions#allowUnfencedNetwork(boolean)} allows it ({@link NetworkPolicy}).
 */
final class DockerNetwork {
    private static final Logger LOG = LoggerFactory.getLogger(DockerNetwork.class);
    private static final String BRIDGE_OPTION = "com.docker.network.bridge.name";

    private final DockerClient client;
    private final DaemonEndpoint endpoint;
    private final DockerBackendOptions options;
    private final NetworkPolicy policy = new NetworkPolicy("containers", "the Docker host and private networks",
            "DockerBackendOptions.allowUnfencedNetwork(true)");
    /** Set once CloudRun's network is ready: its fence, or why there is none. */
    private boolean ready;
    private NetworkFence fence;
    private String fenceProblem;

    DockerNetwork(DockerClient client, DaemonEndpoint endpoint, DockerBackendOptions options) {
        this.client = client;
        this.endpoint = endpoint;
        this.options = options;
    }

    /**
     * The network a step's container joins, after readying it: the step's private endpoints are let
     * through the fence until the returned release runs; a step that would not be fenced is refused.
     *
     * @param step the step
     * @param releases receives what takes the step's allowances back
     * @return the network mode
     * @throws CloudRunException if the network cannot be fenced and unfenced network was not allowed
     */
    String prepare(StepSpec step, Consumer<Runnable> releases) {
        if (!step.network()) {
            return "none";
        }
        if (options.networkMode() != null) {
            policy.warnUnfencedOnce("containers with network on use the network '" + options.networkMode()
                    + "', which CloudRun does not fence off this host and private networks");
            return options.networkMode();
        }
        ready();
        releases.accept(policy.admit(step.privateEndpoints(), fence, fenceProblem, options.allowUnfencedNetwork()));
        if (fence == null && endpoint.unixSocket() == null) {
            return "bridge"; // unfenced, as allowed; CloudRun's network is only made where it can be fenced
        }
        return DockerSandboxBackend.NETWORK;
    }

    /**
     * Readies CloudRun's network at the first step that needs it: creates it if missing and fences
     * it off this host and private networks. Only for a daemon on this host's unix socket: over TCP
     * this host's firewall cannot see the containers, so nothing is created.
     */
    private synchronized void ready() {
        if (ready) {
            return;
        }
        try {
            if (endpoint.unixSocket() == null) {
                fenceProblem = "the daemon is reached over TCP, so this host's firewall cannot see its containers";
            } else {
                fence = NetworkFence.forDockerBridge(ensureNetwork());
            }
        } catch (RuntimeException e) {
            fenceProblem = endpoint.explain(e);
        }
        if (fence == null) {
            LOG.warn("containers with network on cannot be fenced off the Docker host and private networks: {}", fenceProblem);
        }
        ready = true;
    }

    /**
     * Creates CloudRun's network when missing. Its bridge is named after the daemon, so that two
     * daemons on one host (a test's private one, say) never fight over one interface.
     *
     * @return the name of its bridge interface
     */
    private String ensureNetwork() {
        String name = DockerSandboxBackend.NETWORK;
        try {
            String bridge = client.inspectNetworkCmd().withNetworkId(name).exec().getOptions().get(BRIDGE_OPTION);
            if (bridge == null) {
                throw new CloudRunException("the Docker network " + name + " exists but was not made by CloudRun "
                        + "(it names no bridge); remove it: docker network rm " + name);
            }
            return bridge;
        } catch (NotFoundException e) {
            // Create it below.
        }
        String daemonId = client.infoCmd().exec().getId().replaceAll("[^A-Za-z0-9]", "");
        String bridge = "crun-" + daemonId.substring(0, Math.min(8, daemonId.length())).toLowerCase(Locale.ROOT);
        try {
            client.createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true)
                    .withLabels(Map.of(DockerSandboxBackend.LABEL_BACKEND, "docker"))
                    .withOptions(Map.of(BRIDGE_OPTION, bridge, "com.docker.network.bridge.enable_icc", "false"))
                    .exec();
        } catch (ConflictException e) {
            // Another CloudRun instance created it first (with the same name for the bridge).
        }
        return bridge;
    }
}
