package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.Checker;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Grader;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestSuite;
import dev.cloudrun.internal.ScriptedBackend.Script;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A grading refuses bad input before anything runs: no sandbox is opened, the field is named. */
class GraderValidationTest {
    private ScriptedBackend backend;
    private CodeRunner runner;

    @BeforeEach
    void start() {
        backend = new ScriptedBackend(step -> Script.prints("ok\n"));
        runner = CodeRunner.create(config -> config.backend(backend)
                .maxLimits(Limits.defaultCeiling().withCpuTime(Duration.ofSeconds(10))));
    }

    @AfterEach
    void close() {
        runner.close();
    }

    private void refuses(RunRequest submission, TestSuite suite, String field) {
        assertThatThrownBy(() -> Grader.create(runner).grade(submission, suite))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo(field));
        assertThat(backend.opened.get()).as("nothing ran").isZero();
    }

    @Test
    void badSubmissionsAndSuitesAreRefusedBeforeAnythingRuns() {
        RunRequest python = RunRequest.of("python", "print('ok')");
        TestSuite one = TestSuite.of(TestCase.of("1", "", "ok\n"));

        refuses(RunRequest.of("cobol", "x"), one, "language");
        refuses(python, TestSuite.of(), "cases");
        refuses(python, one.withChecker(Checker.program("brainfuck", "+")), "checker.language");
        refuses(python, TestSuite.of(TestCase.of("1", "", "ok\n").withLimits(l -> l.withCpuTime(Duration.ofMinutes(5)))),
                "cases[1].limits.cpuTime");
        refuses(python, one.withTimeLimit(Duration.ofMinutes(5)), "limits.wallTime");
        refuses(python.withFile("input.txt", "mine"), one.withFileIo("input.txt", "output.txt"), "files[input.txt]");
    }

    @Test
    void aQueueTooSmallForEveryCaseRefusesTheWholeGrading() {
        ScriptedBackend blocking = new ScriptedBackend(step -> Script.blocks(new java.util.concurrent.CountDownLatch(1)));
        try (CodeRunner small = CodeRunner.create(config -> config.backend(blocking).maxConcurrentRuns(1).maxQueuedRuns(2))) {
            TestSuite five = TestSuite.of(java.util.stream.IntStream.rangeClosed(1, 5)
                    .mapToObj(i -> TestCase.of(Integer.toString(i), "", "ok\n")).toList());

            assertThatThrownBy(() -> Grader.create(small).grade(RunRequest.of("python", "print('ok')"), five))
                    .isInstanceOf(dev.cloudrun.QueueFullException.class);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(blocking.open.get()).as("the queued cases were cancelled").isZero());
        }
    }

    @Test
    void aValidGradingRunsOnTheFakeToo() {
        assertThat(Grader.create(runner).grade(RunRequest.of("python", "print('ok')"),
                TestSuite.of(TestCase.of("1", "", "ok\n"))).accepted()).isTrue();
        assertThat(backend.opened.get()).isEqualTo(1);
    }
}
