package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.RuntimeInfo;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.internal.SyscallPolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The choice of runtimes against the {@code Runtimes} of a {@code docker info} answer, without a daemon. */
class ContainerRuntimesTest {
    private static Map<String, RuntimeInfo> runtimes(String json) throws Exception {
        // docker-java's own mapper, which keeps unmapped fields such as runtimeArgs in getRawValues().
        ObjectMapper mapper = DefaultDockerClientConfig.createDefaultConfigBuilder().build().getObjectMapper();
        return mapper.readValue("{\"Runtimes\": " + json + "}", Info.class).getRuntimes();
    }

    @Test
    void withoutARuntimeEveryContainerGetsTheDaemonsDefault() throws Exception {
        ContainerRuntimes chosen = ContainerRuntimes.resolve(new DockerBackendOptions(), runtimes("{\"runc\": {}}"), "d");
        assertThat(chosen.forContainer(false)).isNull();
        assertThat(chosen.forContainer(true)).isNull();
    }

    @Test
    void gvisorWithoutNetworkUsesItsNetVariantForStepsWithNetwork() throws Exception {
        ContainerRuntimes chosen = ContainerRuntimes.resolve(new DockerBackendOptions().runtime("runsc"), runtimes(
                "{\"runc\": {\"path\": \"runc\"}, \"runsc\": {\"path\": \"/usr/bin/runsc\", \"runtimeArgs\":"
                        + " [\"--platform=ptrace\", \"--network=none\"]}, \"runsc-net\": {\"path\": \"/usr/bin/runsc\"}}"), "d");
        assertThat(chosen.forContainer(false)).isEqualTo("runsc");
        assertThat(chosen.forContainer(true)).isEqualTo("runsc-net");
        assertThat(chosen.gvisor()).isTrue();
        String seccomp = chosen.securityOptions().get(1);
        assertThat(seccomp).startsWith("seccomp={");
        assertThat(new ObjectMapper().readTree(seccomp.substring("seccomp=".length())).path("defaultAction").asText())
                .isEqualTo("SCMP_ACT_ALLOW");
        assertThat(seccomp).isEqualTo("seccomp=" + SyscallPolicy.gvisorProfileJson());
        assertThat(ContainerRuntimes.DEFAULT.securityOptions()).containsExactly("no-new-privileges:true",
                "seccomp=" + SyscallPolicy.dockerProfileJson());
    }

    @Test
    void gvisorWithoutNetVariantRefusesOnlyStepsWithNetwork() throws Exception {
        ContainerRuntimes chosen = ContainerRuntimes.resolve(new DockerBackendOptions().runtime("runsc"), runtimes(
                "{\"runsc\": {\"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\"]}}"), "d");
        assertThat(chosen.forContainer(false)).isEqualTo("runsc");
        assertThatThrownBy(() -> chosen.forContainer(true)).isInstanceOf(CloudRunException.class)
                .hasMessageContaining("runsc-net").hasMessageContaining("scripts/enable-gvisor.sh");
    }

    @Test
    void anOrdinaryRuntimeServesStepsWithNetworkToo() throws Exception {
        ContainerRuntimes chosen = ContainerRuntimes.resolve(new DockerBackendOptions().runtime("crun"),
                runtimes("{\"crun\": {\"path\": \"/usr/bin/crun\"}}"), "d");
        assertThat(chosen.forContainer(true)).isEqualTo("crun");
    }

    @Test
    void anExplicitNetworkRuntimeWins() throws Exception {
        ContainerRuntimes chosen = ContainerRuntimes.resolve(new DockerBackendOptions().runtime("runsc")
                .networkRuntime("runsc-host"), runtimes("{\"runsc\": {}, \"runsc-net\": {}, \"runsc-host\": {}}"), "d");
        assertThat(chosen.forContainer(true)).isEqualTo("runsc-host");
    }

    @Test
    void anUnknownRuntimeFailsAtCreationNamingTheScriptAndWhatTheDaemonHas() throws Exception {
        assertThatThrownBy(() -> ContainerRuntimes.resolve(new DockerBackendOptions().runtime("runsc"),
                runtimes("{\"runc\": {\"path\": \"runc\"}}"), "unix:///var/run/docker.sock"))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("no runtime 'runsc'").hasMessageContaining("it has: runc")
                .hasMessageContaining("scripts/enable-gvisor.sh").hasMessageContaining("/etc/docker/daemon.json");
    }
}
