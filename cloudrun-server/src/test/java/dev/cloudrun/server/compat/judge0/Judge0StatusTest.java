package dev.cloudrun.server.compat.judge0;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Judge0's verdict rules against made-up results. */
class Judge0StatusTest {
    private static RunResult result(Status status, int exitCode, String stdout) {
        return RunResult.builder(status).exitCode(exitCode).cpuTime(Duration.ofMillis(10))
                .stdout(stdout.getBytes(StandardCharsets.UTF_8), false).build();
    }

    @Test
    void comparesAfterStrippingTrailingWhitespaceOfEachLine() {
        assertThat(Judge0Status.of(result(Status.OK, 0, "a  \nb\n\n\n"), 5, "a\nb".getBytes())).isEqualTo(Judge0Status.ACCEPTED);
        assertThat(Judge0Status.of(result(Status.OK, 0, " a\n"), 5, "a\n".getBytes())).isEqualTo(Judge0Status.WRONG_ANSWER);
        assertThat(Judge0Status.of(result(Status.OK, 0, "x"), 5, null)).isEqualTo(Judge0Status.ACCEPTED);
    }

    @Test
    void signalsAndExitCodes() {
        assertThat(Judge0Status.of(RunResult.builder(Status.RUNTIME_ERROR).signal(11).build(), 5, null)).isEqualTo(Judge0Status.SIGSEGV);
        assertThat(Judge0Status.of(RunResult.builder(Status.RUNTIME_ERROR).signal(8).build(), 5, null)).isEqualTo(Judge0Status.SIGFPE);
        assertThat(Judge0Status.of(RunResult.builder(Status.RUNTIME_ERROR).signal(6).build(), 5, null)).isEqualTo(Judge0Status.SIGABRT);
        assertThat(Judge0Status.of(RunResult.builder(Status.RUNTIME_ERROR).signal(9).build(), 5, null)).isEqualTo(Judge0Status.OTHER);
        assertThat(Judge0Status.of(result(Status.RUNTIME_ERROR, 1, ""), 5, null)).isEqualTo(Judge0Status.NZEC);
        assertThat(Judge0Status.of(result(Status.TIME_LIMIT, 0, ""), 5, null)).isEqualTo(Judge0Status.TIME_LIMIT_EXCEEDED);
        assertThat(Judge0Status.of(result(Status.COMPILE_ERROR, 1, ""), 5, null)).isEqualTo(Judge0Status.COMPILATION_ERROR);
    }

    @Test
    void moreCpuTimeThanTheLimitIsATimeLimitEvenWithinTheExtraTime() {
        RunResult slow = RunResult.builder(Status.OK).exitCode(0).cpuTime(Duration.ofMillis(1500)).build();
        assertThat(Judge0Status.of(slow, 1, null)).isEqualTo(Judge0Status.TIME_LIMIT_EXCEEDED);
        assertThat(Judge0Status.of(slow, 0, null)).isEqualTo(Judge0Status.ACCEPTED);
    }

    @Test
    void rubyBase64AndArguments() {
        assertThat(Judge0Request.encode64("hello, Judge0\n".getBytes())).isEqualTo("aGVsbG8sIEp1ZGdlMAo=\n");
        assertThat(Judge0Request.splitArguments("a 'b c' \"d\\\"e\" f;rm")).containsExactly("a", "b c", "d\"e", "frm");
    }
}
