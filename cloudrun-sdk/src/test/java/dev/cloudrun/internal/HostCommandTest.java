package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host tools run with a deadline that holds even when they hang or leave a child on the pipe. */
class HostCommandTest {
    @Test
    void aToolsExitCodeAndOutputAreReported() throws Exception {
        HostCommand.Result result = HostCommand.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"),
                Duration.ofSeconds(10));
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.output()).contains("out").contains("err");
    }

    @Test
    void aHungToolIsKilledAtItsDeadlineWithTheChildThatHoldsItsPipe() {
        long started = System.nanoTime();
        // Durations no other test uses: the check below looks at every process on the host.
        assertThatThrownBy(() -> HostCommand.run(List.of("sh", "-c", "sleep 4711 & exec sleep 4712"), Duration.ofSeconds(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("did not finish within 1 s");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.allProcesses()
                .noneMatch(process -> process.info().commandLine().orElse("").matches(".*sleep 471[12]$")));
    }

    @Test
    void aFloodOfOutputIsCutAtTheBound() throws Exception {
        HostCommand.Result result = HostCommand.run(List.of("head", "-c", "10000000", "/dev/zero"), Duration.ofSeconds(20));
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).hasSize(HostCommand.MAX_OUTPUT_BYTES);
    }
}
