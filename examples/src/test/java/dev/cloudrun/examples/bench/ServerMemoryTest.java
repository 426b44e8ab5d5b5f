package dev.cloudrun.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.cli.ServeJvmOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the benchmark starts and reads its server: the JVM options, the trim, the medians, and one real measurement. */
class ServerMemoryTest {

    @Test
    void the_server_gets_the_launchers_options_or_else_those_of_the_file() {
        assertThat(ServerMemory.serveJvmOptions(Map.of(ServerMemory.LAUNCHER_OPTIONS, " -XX:+UseSerialGC  -Xmx1g ")))
                .containsExactly("-XX:+UseSerialGC", "-Xmx1g");
        assertThat(ServerMemory.serveJvmOptions(Map.of(ServerMemory.LAUNCHER_OPTIONS, ""))).isEmpty();
        assertThat(ServerMemory.serveJvmOptions(Map.of())).isEqualTo(ServeJvmOptions.defaults()).contains("-XX:+UseSerialGC");
    }

    @Test
    void the_native_heap_is_trimmed_only_when_the_server_trims_it_itself_and_the_last_option_wins() {
        assertThat(ServerMemory.trimsNativeHeap(List.of("-Xms16m", "-XX:TrimNativeHeapInterval=5000"))).isTrue();
        assertThat(ServerMemory.trimsNativeHeap(List.of("-XX:TrimNativeHeapInterval=5000", "-XX:TrimNativeHeapInterval=0"))).isFalse();
        assertThat(ServerMemory.trimsNativeHeap(List.of("-XX:+UseG1GC"))).isFalse();
    }

    @Test
    void the_median_is_the_lower_middle_sample() {
        assertThat(ServerMemory.median(List.of(30L, 10L, 20L))).isEqualTo(20L);
        assertThat(ServerMemory.median(List.of(40L, 10L, 30L, 20L))).isEqualTo(20L);
    }

    @Test
    void a_real_server_is_measured_with_the_options_of_the_file() {
        ServerMemory.Result result = ServerMemory.measure(20);

        assertThat(result.note()).isNull();
        assertThat(result.jvmOptions()).isEqualTo(ServeJvmOptions.defaults());
        assertThat(result.idleServerRssBytes()).isPositive();
        assertThat(result.webSockets()).as("three rounds of 20").isEqualTo(60);
        assertThat(result.perWebSocketBytes()).isNotNull();
        assertThat(result.firstWebSocketsBytes()).isNotNull();
    }
}
