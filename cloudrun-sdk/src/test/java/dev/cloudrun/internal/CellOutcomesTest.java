package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.internal.CellOutcomes.HostStop;
import dev.cloudrun.internal.CellOutcomes.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The rules that give a cell its status, against reports and run results made up here. */
class CellOutcomesTest {
    private static final Duration LIMIT = Duration.ofSeconds(2);

    private static Outcome decide(HostStop stop, String report, RunResult ended) {
        return CellOutcomes.decide(stop, LIMIT, 1000, "bad header",
                report == null ? null : report.getBytes(StandardCharsets.UTF_8), ended);
    }

    @Test
    void aReportKeepsTheInterpreter() {
        Outcome ok = decide(HostStop.NONE, "{\"status\": \"ok\", \"value\": \"42\"}", null);
        assertThat(ok.status()).isEqualTo(Status.OK);
        assertThat(ok.value()).hasValue("42");
        assertThat(ok.interpreterEnded()).isFalse();
        assertThat(ok.cause()).isNull();

        Outcome raised = decide(HostStop.NONE, "{\"status\": \"error\", \"error\": \"KeyError\"}", null);
        assertThat(raised.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(raised.error()).hasValue("KeyError");
        assertThat(raised.message()).contains("raised KeyError").contains("state stay");

        assertThat(decide(HostStop.NONE, "{\"status\": \"error\", \"error\": \"IndentationError\"}", null).message())
                .contains("has a IndentationError and did not run");
        assertThat(decide(HostStop.NONE, "{\"status\": \"error\", \"error\": \"MemoryError\"}", null).status())
                .isEqualTo(Status.MEMORY_LIMIT);

        Outcome exit = decide(HostStop.NONE, "{\"status\": \"exit\", \"exitCode\": 4}", null);
        assertThat(exit.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(exit.exitCode()).isEqualTo(4);
        assertThat(exit.interpreterEnded()).isFalse();

        Outcome garbled = decide(HostStop.NONE, "not json", null);
        assertThat(garbled.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(garbled.message()).contains("unreadable");
        assertThat(decide(HostStop.NONE, "{\"status\": \"later\"}", null).message()).contains("unreadable");
    }

    @Test
    void whatTheHostStoppedComesFirst() {
        RunResult cancelled = RunResult.builder(Status.CANCELLED).message("cancelled").build();
        Outcome late = decide(HostStop.TIME_LIMIT, null, cancelled);
        assertThat(late.status()).isEqualTo(Status.TIME_LIMIT);
        assertThat(late.interpreterEnded()).isTrue();
        assertThat(late.message()).contains("2000 ms").contains("state is lost");
        assertThat(late.cause()).contains("time limit");

        assertThat(decide(HostStop.OUTPUT_LIMIT, null, cancelled).status()).isEqualTo(Status.OUTPUT_LIMIT);
        assertThat(decide(HostStop.CLOSED, "{\"status\": \"ok\"}", cancelled).status()).isEqualTo(Status.CANCELLED);
        Outcome broken = decide(HostStop.BROKEN_MARKERS, null, cancelled);
        assertThat(broken.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(broken.message()).contains("bad header");
    }

    @Test
    void aProcessThatEndedByItselfSaysHow() {
        Outcome exited = decide(HostStop.NONE, null, RunResult.builder(Status.RUNTIME_ERROR).exitCode(3).build());
        assertThat(exited.status()).isEqualTo(Status.RUNTIME_ERROR);
        assertThat(exited.exitCode()).isEqualTo(3);
        assertThat(exited.message()).contains("exited with code 3");
        assertThat(exited.cause()).isEqualTo("during a cell it exited with code 3");

        Outcome killed = decide(HostStop.NONE, null, RunResult.builder(Status.RUNTIME_ERROR).exitCode(139).signal(11).build());
        assertThat(killed.signal()).isEqualTo(11);
        assertThat(killed.message()).contains("killed by signal 11");

        Outcome zero = decide(HostStop.NONE, null, RunResult.builder(Status.OK).exitCode(0).build());
        assertThat(zero.status()).as("a process that exits 0 mid-cell still lost the state").isEqualTo(Status.RUNTIME_ERROR);

        Outcome memory = decide(HostStop.NONE, null, RunResult.builder(Status.MEMORY_LIMIT).message("exceeded the memory limit").build());
        assertThat(memory.status()).isEqualTo(Status.MEMORY_LIMIT);
        assertThat(memory.message()).contains("exceeded the memory limit");
        assertThat(decide(HostStop.NONE, null, RunResult.builder(Status.TIME_LIMIT).message("lifetime").build()).status())
                .isEqualTo(Status.TIME_LIMIT);
        assertThat(decide(HostStop.NONE, null, null).status()).isEqualTo(Status.INTERNAL_ERROR);
    }
}
