package dev.cloudrun.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Limits;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The rules that turn a result into the model's text, against results built by hand: the statuses a
 * real run rarely produces on demand (cancelled, internal error, a signal, a result without a
 * message) and the edges of the output caps. Real runs of every status are in {@link LangChain4jTck}.
 */
class ResultTextTest {
    private static final Limits LIMITS = Limits.defaults().withWallTime(Duration.ofSeconds(2)).withCpuTime(Duration.ofMillis(1500))
            .withMemoryBytes(64L << 20).withMaxOutputBytes(4096);
    private final ResultText text = new ResultText(LIMITS, new OutputCaps(100, 100));

    private static RunResult.Builder result(Status status) {
        return RunResult.builder(status).language("python");
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void theConfiguredLimitsStandInWhenTheResultHasNoMessage() {
        assertThat(text.forEngine(result(Status.TIME_LIMIT).build())).isEqualTo(
                "TIME_LIMIT: the program was stopped: it ran longer than its time limit (2 s wall clock, 1.50 s CPU)."
                        + " Make it faster, or do less work in one run.");
        assertThat(text.forEngine(result(Status.MEMORY_LIMIT).build()))
                .startsWith("MEMORY_LIMIT: the program was stopped: it used more than its memory limit of 64 MiB.");
        assertThat(text.forEngine(result(Status.OUTPUT_LIMIT).message("wrote more than the output limit of 4096 bytes and was stopped").build()))
                .isEqualTo("OUTPUT_LIMIT: the program was stopped: it wrote more than its output limit of 4096 bytes."
                        + " Print less, for example a summary.");
    }

    @Test
    void cancelledAndInternalErrorsSayItWasNotTheCode() {
        assertThat(text.forEngine(result(Status.CANCELLED).message("cancelled").build()))
                .isEqualTo("CANCELLED: the run was cancelled before it finished.");
        assertThat(text.forTool(result(Status.INTERNAL_ERROR).message("the Docker daemon went away").build()))
                .startsWith("status: INTERNAL_ERROR\nwhat happened: the sandbox failed to run the code, which is not a problem"
                        + " of the code (the Docker daemon went away). Try again later.\nexit code: -1\n");
    }

    @Test
    void aSignalIsNamed() {
        RunResult crashed = result(Status.RUNTIME_ERROR).signal(11).message("was killed by signal 11 (SIGSEGV)").build();
        assertThat(text.forEngine(crashed)).isEqualTo("RUNTIME_ERROR: the program was killed by signal 11 (SIGSEGV) (it crashed).");
    }

    @Test
    void stdoutCutByTheRunnerIsSaid() {
        RunResult ok = result(Status.OK).exitCode(0).stdout(utf8("partial"), true).build();
        assertThat(text.forEngine(ok)).isEqualTo("partial\n[stdout was cut at the output limit]");
        assertThat(text.forTool(ok)).contains("stdout:\npartial\n[stdout was cut at the output limit]");
    }

    @Test
    void theToolReportsTimesAndMemory() {
        RunResult ok = result(Status.OK).exitCode(0).wallTime(Duration.ofMillis(1234)).cpuTime(Duration.ofMillis(50))
                .memoryBytes(3L << 20).stdout(utf8("42\n"), false).build();
        assertThat(text.forTool(ok)).isEqualTo("status: OK\nexit code: 0\ntime: 1.23 s wall clock, 0.05 s CPU; memory: 3.0 MiB\n"
                + "stdout:\n42\n");
    }

    @Test
    void capsNeverSplitASurrogatePair() {
        String emoji = "\uD83D\uDE00";
        String cutHead = new OutputCaps(100, 100).stdout("a".repeat(99) + emoji + "tail");
        assertThat(cutHead).startsWith("a".repeat(99) + "\n[... 6 more characters");
        String cutTail = new OutputCaps(100, 100).stderr("head" + emoji + "b".repeat(99));
        assertThat(cutTail).endsWith("...]\n" + "b".repeat(99)).doesNotContain("\uDE00");
    }

    @Test
    void capsOutOfRangeNameTheirField() {
        assertThatThrownBy(() -> new OutputCaps(10_000, 99)).isInstanceOf(InvalidRequestException.class)
                .hasMessage("maxStderrChars: must be between 100 and 1000000, was 99");
    }
}
