package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.spi.NetworkEndpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision every backend makes for a step with network on: fenced steps may reach the private
 * endpoints they name; a step that cannot be fenced is refused, saying why and which option allows
 * it, unless unfenced network was allowed. Unfenced use that the backend cannot help is warned about once.
 */
public final class NetworkPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkPolicy.class);

    private final String sandboxes;
    private final String fencedOff;
    private final String allowOption;
    private final AtomicBoolean warned = new AtomicBoolean();

    /**
     * @param sandboxes what the backend's sandboxes are called, for example {@code containers}
     * @param fencedOff what they are fenced off, for example {@code the Docker host and private networks}
     * @param allowOption the option that allows unfenced network, for the refusal's message
     */
    public NetworkPolicy(String sandboxes, String fencedOff, String allowOption) {
        this.sandboxes = sandboxes;
        this.fencedOff = fencedOff;
        this.allowOption = allowOption;
    }

    /**
     * Admits a step with network on.
     *
     * @param privateEndpoints the endpoints on this host or in a private network the step may reach
     * @param fence the backend's fence, or null when it has none
     * @param fenceProblem why there is no fence (when {@code fence} is null)
     * @param allowUnfenced whether the backend's options allow unfenced network
     * @return what takes the step's allowances back once it ends
     * @throws CloudRunException if there is no fence and unfenced network is not allowed
     */
    public Runnable admit(List<NetworkEndpoint> privateEndpoints, NetworkFence fence, String fenceProblem,
                          boolean allowUnfenced) {
        if (fence != null) {
            return fence.allow(privateEndpoints);
        }
        if (!allowUnfenced) {
            throw new CloudRunException("this run asks for network access, but " + sandboxes + " cannot be fenced off "
                    + fencedOff + " here (" + fenceProblem + "); fix that, or allow unfenced network with " + allowOption);
        }
        return () -> { };
    }

    /**
     * Logs, the first time only, that steps run unfenced for a reason the backend cannot help.
     *
     * @param message the warning
     */
    public void warnUnfencedOnce(String message) {
        if (warned.compareAndSet(false, true)) {
            LOG.warn(message);
        }
    }
}
