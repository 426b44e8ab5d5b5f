package dev.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LimitsTest {
    @Test
    void defaultsAreWithinTheDefaultCeiling() {
        Limits.defaults().validateAgainst(Limits.defaultCeiling());
        assertThat(Limits.defaults().memoryBytes()).isEqualTo(256L * 1024 * 1024);
    }

    @Test
    void withMethodsReturnCopies() {
        Limits base = Limits.defaults();
        Limits changed = base.withWallTime(Duration.ofSeconds(2)).withMemoryBytes(64L << 20);
        assertThat(base).isEqualTo(Limits.defaults());
        assertThat(changed.wallTime()).isEqualTo(Duration.ofSeconds(2));
        assertThat(changed.memoryBytes()).isEqualTo(64L << 20);
        assertThat(changed.cpuTime()).isEqualTo(base.cpuTime());
    }

    @Test
    void zeroNegativeAndAboveCeilingAreRejectedByField() {
        Limits ceiling = Limits.defaultCeiling();
        assertThatThrownBy(() -> Limits.defaults().withCpuTime(Duration.ZERO).validateAgainst(ceiling))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("limits.cpuTime"));
        assertThatThrownBy(() -> Limits.defaults().withMaxOutputBytes(-1).validateAgainst(ceiling))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("limits.maxOutputBytes"));
        assertThatThrownBy(() -> Limits.defaults().withCompileTime(Duration.ofHours(1)).validateAgainst(ceiling))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("limits.compileTime"));
        assertThatThrownBy(() -> Limits.defaults().withMemoryBytes(1024).validateAgainst(ceiling))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("limits.memoryBytes"));
    }

    @Test
    void stackBytesDefaultsToEightMibWithACeilingOfOneGibAndTakesPartInEquality() {
        assertThat(Limits.defaults().stackBytes()).isEqualTo(8L << 20);
        assertThat(Limits.defaultCeiling().stackBytes()).isEqualTo(1L << 30);
        Limits raised = Limits.defaults().withStackBytes(64L << 20);
        assertThat(raised.stackBytes()).isEqualTo(64L << 20);
        assertThat(raised).isNotEqualTo(Limits.defaults());
        assertThat(raised).isEqualTo(Limits.defaults().withStackBytes(64L << 20));
        assertThat(raised.hashCode()).isEqualTo(Limits.defaults().withStackBytes(64L << 20).hashCode());
        assertThat(raised.toString()).contains("stackBytes=67108864");
        assertThat(raised.withWallTime(Duration.ofSeconds(1)).stackBytes()).isEqualTo(64L << 20);
        assertThatThrownBy(() -> Limits.defaults().withStackBytes((1L << 30) + 1).validateAgainst(Limits.defaultCeiling()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.field()).isEqualTo("limits.stackBytes");
                    assertThat(e.getMessage()).contains("1073741824");
                });
        assertThatThrownBy(() -> Limits.defaults().withStackBytes(4096).validateAgainst(Limits.defaultCeiling()))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("limits.stackBytes"));
    }

    @Test
    void aRunnerRejectsRequestsAboveItsConfiguredCeiling() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL)
                .maxLimits(Limits.defaultCeiling().withWallTime(Duration.ofSeconds(20))))) {
            assertThatThrownBy(() -> runner.run(RunRequest.of("python", "print(1)")
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(30)))))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.getMessage()).contains("limits.wallTime").contains("PT20S"));
        }
    }

    @Test
    void aRunnerRefusesDefaultsAboveItsCeiling() {
        assertThatThrownBy(() -> CodeRunner.create(config -> config.backend(BackendKind.LOCAL)
                .maxLimits(Limits.defaultCeiling().withMemoryBytes(64L << 20))))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("limits.memoryBytes"));
    }
}
