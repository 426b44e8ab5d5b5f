package dev.cloudrun.server.compat.judge0;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** number_of_runs as Judge0's IsolateJob reports it: the last run, with the mean CPU time and the mean memory in whole KB. */
class Judge0RunsTest {

    private static RunResult run(long cpuMillis, long wallMillis, long memoryKb, String stdout) {
        return RunResult.builder(Status.OK).language("python").exitCode(0).cpuTime(Duration.ofMillis(cpuMillis))
                .wallTime(Duration.ofMillis(wallMillis)).memoryBytes(memoryKb * 1024)
                .stdout(stdout.getBytes(StandardCharsets.UTF_8), false).stderr(new byte[0], false).build();
    }

    @Test
    void three_accepted_runs_report_the_last_with_the_means() {
        Judge0Runs runs = new Judge0Runs(3);
        assertThat(runs.another(run(10, 100, 1000, "a"), Judge0Status.ACCEPTED)).isTrue();
        assertThat(runs.another(run(20, 200, 1001, "b"), Judge0Status.ACCEPTED)).isTrue();
        RunResult last = run(40, 300, 1003, "c");
        assertThat(runs.another(last, Judge0Status.ACCEPTED)).isFalse();
        RunResult reported = runs.reported(last);
        assertThat(runs.done()).isEqualTo(3);
        assertThat(reported.cpuTime()).isEqualTo(Duration.ofMillis(23));
        assertThat(reported.memoryBytes()).as("(1000 + 1001 + 1003) / 3 KB, truncated").isEqualTo(1001 * 1024);
        assertThat(reported.wallTime()).as("the last run's, not a mean").isEqualTo(Duration.ofMillis(300));
        assertThat(reported.stdout()).isEqualTo("c");
        assertThat(reported.status()).isEqualTo(Status.OK);
    }

    @Test
    void a_run_that_is_not_accepted_ends_the_series() {
        Judge0Runs runs = new Judge0Runs(5);
        assertThat(runs.another(run(10, 10, 10, "x"), Judge0Status.WRONG_ANSWER)).isFalse();
        RunResult only = run(10, 10, 10, "x");
        assertThat(runs.reported(only)).isSameAs(only);
    }

    @Test
    void zero_runs_count_as_one() {
        Judge0Runs runs = new Judge0Runs(0);
        assertThat(runs.another(run(1, 1, 1, ""), Judge0Status.ACCEPTED)).isFalse();
    }
}
