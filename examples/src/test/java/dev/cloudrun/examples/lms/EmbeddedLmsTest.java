package dev.cloudrun.examples.lms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeReport;
import dev.cloudrun.TestSuite;
import dev.cloudrun.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The embedded LMS grades the sample submissions in lms-grader/ on the local sandbox. */
class EmbeddedLmsTest {

    @Test
    void the_sample_submissions_get_their_verdicts_and_scores_in_the_gradebook() {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(BackendKind.LOCAL))) {
            TestSuite suite = TestSuite.load(Path.of("lms-grader/problem")).withTimeLimit(Duration.ofSeconds(2));
            Map<String, GradeReport> gradebook = EmbeddedLms.gradeAll(runner, suite, Path.of("lms-grader/submissions"));

            assertThat(gradebook).containsOnlyKeys("ada", "brian", "grace", "linus");
            assertThat(gradebook.keySet()).containsExactly("ada", "brian", "grace", "linus");
            assertThat(gradebook.get("ada").verdict()).isEqualTo(Verdict.ACCEPTED);
            assertThat(gradebook.get("ada").score()).isEqualTo(4.0);
            assertThat(gradebook.get("grace").verdict()).isEqualTo(Verdict.ACCEPTED);
            assertThat(gradebook.get("brian").verdict()).isEqualTo(Verdict.WRONG_ANSWER);
            assertThat(gradebook.get("brian").score()).isEqualTo(2.0);
            assertThat(gradebook.get("linus").verdict()).isEqualTo(Verdict.COMPILE_ERROR);
            assertThat(gradebook.get("linus").score()).isZero();

            String printed = EmbeddedLms.format(gradebook);
            assertThat(printed.lines()).hasSize(4);
            assertThat(printed).contains("ada", "4.0/4.0", "ACCEPTED").contains("brian", "2.0/4.0", "WRONG_ANSWER", "3:");
        }
    }
}
