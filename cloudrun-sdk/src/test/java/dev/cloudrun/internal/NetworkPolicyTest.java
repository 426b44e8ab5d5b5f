package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.CloudRunException;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkPolicyTest {
    private final NetworkPolicy policy = new NetworkPolicy("containers", "the Docker host and private networks",
            "Options.allowUnfencedNetwork(true)");

    @Test
    void withoutAFenceAStepIsRefusedSayingWhyAndWhatAllowsIt() {
        assertThatThrownBy(() -> policy.admit(List.of(), null, "no iptables", false))
                .isInstanceOf(CloudRunException.class)
                .hasMessage("this run asks for network access, but containers cannot be fenced off the Docker host and "
                        + "private networks here (no iptables); fix that, or allow unfenced network with "
                        + "Options.allowUnfencedNetwork(true)");
    }

    @Test
    void withoutAFenceAStepRunsWhenUnfencedNetworkIsAllowed() {
        assertThatCode(() -> policy.admit(List.of(), null, "no iptables", true).run()).doesNotThrowAnyException();
    }
}
