package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CaseReport;
import dev.cloudrun.CheckResult;
import dev.cloudrun.Checker;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeListener;
import dev.cloudrun.GradeReport;
import dev.cloudrun.Grader;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestGroup;
import dev.cloudrun.TestSuite;
import dev.cloudrun.Verdict;
import dev.cloudrun.spi.SandboxBackend;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * What the {@link Grader} must do on every backend: each verdict, each checker kind, file I/O,
 * groups, stopping at the first failure, compiling once and keeping cases apart. Subclass it per
 * backend, as {@link SandboxBackendTck}. Small limits keep it quick.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class GraderTck {
    /** Reads a word and answers as the word says: right, wrong, slowly, greedily, ... */
    private static final String BEHAVIOURS_C = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            int main(void) {
                char word[16] = {0};
                if (scanf("%15s", word) != 1) return 0;
                if (!strcmp(word, "ok")) puts("fine");
                else if (!strcmp(word, "wa")) puts("wrong");
                else if (!strcmp(word, "pe")) puts("PE");
                else if (!strcmp(word, "tle")) { volatile unsigned long x = 0; for (;;) x++; }
                else if (!strcmp(word, "mle")) { for (;;) { char *p = malloc(1 << 20); if (!p) return 9; memset(p, 1, 1 << 20); } }
                else if (!strcmp(word, "re")) return 3;
                else if (!strcmp(word, "ole")) { for (;;) puts("flood flood flood flood flood flood"); }
                else if (!strcmp(word, "chk")) puts("boom");
                return 0;
            }
            """;
    private static final String SUM_C = """
            #include <stdio.h>
            int main(void) { long a, b; if (scanf("%ld %ld", &a, &b) != 2) return 1; printf("%ld\\n", a + b); return 0; }
            """;

    private CountingBackend backend;
    private CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void startRunner() {
        backend = new CountingBackend(createBackend());
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(4)
                .defaultLimits(Limits.defaults().withMemoryBytes(64L << 20).withMaxOutputBytes(64 * 1024)
                        .withCpuTime(Duration.ofSeconds(2)).withWallTime(Duration.ofSeconds(5))));
    }

    @BeforeEach
    void resetCounts() {
        backend.reset();
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend.delegate()));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNoCloudRunThreads();
    }

    private Grader grader() {
        return Grader.create(runner);
    }

    private static TestSuite sums(int count) {
        List<TestCase> cases = new java.util.ArrayList<>();
        for (int i = 1; i <= count; i++) {
            cases.add(TestCase.of(Integer.toString(i), i + " " + (10 * i) + "\n", (11 * i) + "\n"));
        }
        return TestSuite.of(cases);
    }

    private static Map<String, Verdict> verdicts(GradeReport report) {
        return report.cases().stream().collect(Collectors.toMap(CaseReport::name, CaseReport::verdict));
    }

    @Test
    void compilesOnceAndRunsEveryCaseInItsOwnSandbox() {
        List<CaseReport> events = new CopyOnWriteArrayList<>();
        GradeReport report = grader().withListener(new GradeListener() {
            @Override
            public void onCase(CaseReport caseReport) {
                events.add(caseReport);
            }
        }).grade(RunRequest.of("c", "// " + java.util.UUID.randomUUID() + "\n" + SUM_C), sums(4));

        assertThat(report.verdict()).as(report.toString() + report.cases()).isEqualTo(Verdict.ACCEPTED);
        assertThat(report.score()).isEqualTo(4.0);
        assertThat(report.maxScore()).isEqualTo(4.0);
        assertThat(backend.stepsRunning("gcc")).as("the compiler ran once").isEqualTo(1);
        assertThat(backend.stepsRunning("./main")).as("each case ran the compiled program").isEqualTo(4);
        assertThat(backend.sandboxesOpened()).as("one sandbox to compile, one per case").isEqualTo(5);
        assertThat(events).extracting(CaseReport::name).containsExactlyInAnyOrder("1", "2", "3", "4");
        assertThat(report.cases()).allSatisfy(c -> {
            assertThat(c.exitCode()).isZero();
            assertThat(c.cpuTime()).isLessThan(Duration.ofSeconds(1));
        });
    }

    @Test
    void javaClassesAreCarriedOverToo() {
        String source = """
                import java.util.Scanner;
                public class Sum {
                    record Pair(long a, long b) { long total() { return a + b; } }
                    public static void main(String[] args) {
                        Scanner in = new Scanner(System.in);
                        System.out.println(new Pair(in.nextLong(), in.nextLong()).total());
                    }
                }
                """;
        GradeReport report = grader().grade(RunRequest.of("java", source),
                sums(2).withLimits(l -> l.withMemoryBytes(256L << 20)));

        assertThat(report.verdict()).as(report.cases().toString() + report.compilerOutput()).isEqualTo(Verdict.ACCEPTED);
        assertThat(backend.stepsRunning("javac")).isEqualTo(1);
    }

    @Test
    void eachVerdictOfARunningProgram() {
        Checker layoutAware = (input, output, answer) -> {
            String text = new String(output, StandardCharsets.UTF_8).strip();
            if (text.equals("PE")) {
                return CheckResult.presentationError("the answer is there, the layout is not");
            }
            if (text.equals("boom")) {
                throw new IllegalStateException("checker bug");
            }
            return Checker.lines().check(input, output, answer);
        };
        List<TestCase> cases = List.of("ok", "wa", "pe", "tle", "mle", "re", "ole", "chk").stream()
                .map(word -> TestCase.of(word, word + "\n", "fine\n")).toList();
        TestSuite suite = TestSuite.of(cases).withChecker(layoutAware).withTimeLimit(Duration.ofMillis(500))
                .withMemoryLimit(32L << 20);

        GradeReport report = grader().grade(RunRequest.of("c", BEHAVIOURS_C), suite);

        assertThat(verdicts(report)).as(report.cases().toString()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ok", Verdict.ACCEPTED, "wa", Verdict.WRONG_ANSWER, "pe", Verdict.PRESENTATION_ERROR,
                "tle", Verdict.TIME_LIMIT, "mle", Verdict.MEMORY_LIMIT, "re", Verdict.RUNTIME_ERROR,
                "ole", Verdict.OUTPUT_LIMIT, "chk", Verdict.CHECKER_ERROR));
        assertThat(report.verdict()).as("the first failing case's").isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(report.find("wa").orElseThrow().message()).isEqualTo("line 1: expected `fine`, got `wrong`");
        assertThat(report.find("re").orElseThrow().exitCode()).isEqualTo(3);
        assertThat(report.find("chk").orElseThrow().message()).contains("checker bug");
        CaseReport slow = report.find("tle").orElseThrow();
        assertThat(slow.cpuTime().compareTo(Duration.ofMillis(400)) >= 0 || slow.wallTime().compareTo(Duration.ofMillis(1900)) >= 0)
                .as("stopped at its CPU limit, or at the wall clock's 2 x CPU + 1 s on a busy machine: " + slow).isTrue();
        assertThat(report.score()).isEqualTo(1.0);
        assertThat(backend.stepsRunning("gcc")).isEqualTo(1);
    }

    @Test
    void aSubmissionThatDoesNotCompileFailsEveryCase() {
        GradeReport report = grader().grade(RunRequest.of("c", "int main(void) { return undefined_name; }\n"), sums(3));

        assertThat(report.verdict()).isEqualTo(Verdict.COMPILE_ERROR);
        assertThat(report.compilerOutput()).contains("undefined_name");
        assertThat(report.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.COMPILE_ERROR);
        assertThat(backend.stepsRunning("./main")).isZero();
    }

    @Test
    void anArtefactTooLargeToCarryIsAnInternalError() {
        GradeReport report = grader().withMaxArtifactBytes(1024).grade(RunRequest.of("c", SUM_C), sums(2));

        assertThat(report.verdict()).isEqualTo(Verdict.INTERNAL_ERROR);
        assertThat(report.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.INTERNAL_ERROR);
        assertThat(report.message()).contains("larger than 1024 bytes");
    }

    @Test
    void stopsAtTheFirstFailureAndSkipsTheRest() {
        List<String> announced = new CopyOnWriteArrayList<>();
        TestSuite suite = TestSuite.of(TestCase.of("1", "ok\n", "fine\n"), TestCase.of("2", "wa\n", "fine\n"),
                TestCase.of("3", "ok\n", "fine\n"), TestCase.of("4", "ok\n", "fine\n"), TestCase.of("5", "ok\n", "fine\n"));

        GradeReport report = grader().withStopAtFirstFailure(true).withListener(new GradeListener() {
            @Override
            public void onCase(CaseReport caseReport) {
                announced.add(caseReport.name() + "=" + caseReport.verdict());
            }
        }).grade(RunRequest.of("c", BEHAVIOURS_C), suite);

        assertThat(report.cases()).extracting(CaseReport::verdict).containsExactly(Verdict.ACCEPTED,
                Verdict.WRONG_ANSWER, Verdict.SKIPPED, Verdict.SKIPPED, Verdict.SKIPPED);
        assertThat(report.verdict()).isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(report.score()).isEqualTo(1.0);
        assertThat(announced).containsExactly("1=ACCEPTED", "2=WRONG_ANSWER", "3=SKIPPED", "4=SKIPPED", "5=SKIPPED");
    }

    @Test
    void groupsScoreOnlyWhenAllTheirCasesPass() {
        TestSuite suite = TestSuite.of(TestCase.of("a", "ok\n", "fine\n").withPoints(2),
                        TestCase.of("b", "ok\n", "fine\n"), TestCase.of("c", "wa\n", "fine\n"),
                        TestCase.of("d", "ok\n", "fine\n"), TestCase.of("e", "ok\n", "fine\n"))
                .withGroup(TestGroup.of("small", 5, "b", "c"))
                .withGroup(TestGroup.of("large", 3, "d", "e"));

        GradeReport report = grader().grade(RunRequest.of("c", BEHAVIOURS_C), suite);

        assertThat(report.maxScore()).isEqualTo(10.0);
        assertThat(report.score()).isEqualTo(5.0);
        assertThat(report.groupScores()).containsExactlyInAnyOrderEntriesOf(Map.of("small", 0.0, "large", 3.0));
    }

    @Test
    void fileIoTasksAreJudgedOnTheirOutputFile() {
        String source = """
                #include <stdio.h>
                #include <unistd.h>
                int main(void) {
                    long a, b; FILE *in = fopen("input.txt", "r");
                    if (!in || fscanf(in, "%ld %ld", &a, &b) != 2) return 1;
                    if (a == 0) return 0;                                  /* writes nothing */
                    if (a == 1) { symlink("/etc/passwd", "output.txt"); return 0; }
                    FILE *out = fopen("output.txt", "w"); fprintf(out, "%ld\\n", a + b); fclose(out);
                    puts("stdout is not what is checked");
                    return 0;
                }
                """;
        TestSuite suite = TestSuite.of(TestCase.of("sum", "2 3\n", "5\n"), TestCase.of("nothing", "0 0\n", "0\n"),
                TestCase.of("link", "1 1\n", "root:x:0:0:root:/root:/bin/bash\n")).withFileIo("input.txt", "output.txt");

        GradeReport report = grader().grade(RunRequest.of("c", source), suite);

        assertThat(verdicts(report)).as(report.cases().toString()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "sum", Verdict.ACCEPTED, "nothing", Verdict.WRONG_ANSWER, "link", Verdict.WRONG_ANSWER));
        assertThat(report.find("nothing").orElseThrow().message()).contains("did not write output.txt");
        assertThat(report.find("link").orElseThrow().message()).contains("output.txt is a symbolic link");
    }

    @Test
    void expectedFilesAreCarriedOutAndChecked() {
        String source = "import sys\nn = int(input())\nopen('result.txt', 'w').write(str(n * 2) + '\\n')\n";
        TestSuite suite = TestSuite.of(
                TestCase.withInput("right", "21\n").withExpectedFile("result.txt", "42\n".getBytes(StandardCharsets.UTF_8)),
                TestCase.withInput("wrong", "20\n").withExpectedFile("result.txt", "42\n".getBytes(StandardCharsets.UTF_8)),
                TestCase.withInput("missing", "1\n").withExpectedFile("other.txt", "2\n".getBytes(StandardCharsets.UTF_8)));

        GradeReport report = grader().grade(RunRequest.of("python", source), suite);

        assertThat(verdicts(report)).as(report.cases().toString()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "right", Verdict.ACCEPTED, "wrong", Verdict.WRONG_ANSWER, "missing", Verdict.WRONG_ANSWER));
        assertThat(report.find("wrong").orElseThrow().message()).isEqualTo("result.txt: line 1: expected `42`, got `40`");
        assertThat(report.find("missing").orElseThrow().message()).isEqualTo("the program did not write other.txt");
    }

    @Test
    void noCaseSeesAnotherCasesFiles() {
        String source = """
                #include <stdio.h>
                int main(void) {
                    FILE *seen = fopen("marker", "r");
                    if (seen) { puts("seen"); return 0; }
                    FILE *f = fopen("marker", "w"); fputs("case was here", f); fclose(f);
                    puts("fresh");
                    return 0;
                }
                """;
        TestSuite suite = TestSuite.of(TestCase.of("1", "", "fresh\n"), TestCase.of("2", "", "fresh\n"),
                TestCase.of("3", "", "fresh\n"));

        GradeReport report = grader().grade(RunRequest.of("c", source), suite);

        assertThat(report.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.ACCEPTED);
    }

    @Test
    void builtInTextCheckers() {
        String source = "print('3.14159   2.71828')\nprint()\n";
        RunRequest submission = RunRequest.of("python", source);
        TestSuite expected = TestSuite.of(TestCase.of("1", "", "3.1416\n2.7183\n"));

        assertThat(grader().grade(submission, expected.withChecker(Checker.numbers(1e-3, 0))).verdict())
                .isEqualTo(Verdict.ACCEPTED);
        assertThat(grader().grade(submission, expected.withChecker(Checker.numbers(1e-9, 0))).verdict())
                .isEqualTo(Verdict.WRONG_ANSWER);
        assertThat(grader().grade(submission, TestSuite.of(TestCase.of("1", "", "3.14159\n2.71828"))
                .withChecker(Checker.tokens())).verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(grader().grade(submission, TestSuite.of(TestCase.of("1", "", "3.14159   2.71828\n"))).verdict())
                .as("lines ignore trailing empty lines").isEqualTo(Verdict.ACCEPTED);
        assertThat(grader().grade(submission, TestSuite.of(TestCase.of("1", "", "3.14159   2.71828\n"))
                .withChecker(Checker.exact())).verdict()).isEqualTo(Verdict.WRONG_ANSWER);
    }

    @Test
    void aCheckerProgramFollowsTestlibConventions() {
        String checker = """
                import sys
                given = open(sys.argv[2]).read().split()
                answer = open(sys.argv[3]).read().split()
                if not given:
                    sys.exit(2)
                if given[0] == "half":
                    print("0.5")
                    sys.exit(0)
                if given != answer:
                    print("expected " + " ".join(answer), file=sys.stderr)
                    sys.exit(1)
                sys.exit(0)
                """;
        String submission = "w = input()\nprint({'ok': '42', 'wa': '41', 'pe': '', 'half': 'half'}[w])\n";
        TestSuite suite = TestSuite.of(TestCase.of("ok", "ok\n", "42\n").withPoints(10),
                        TestCase.of("wa", "wa\n", "42\n").withPoints(10), TestCase.of("pe", "pe\n", "42\n").withPoints(10),
                        TestCase.of("half", "half\n", "42\n").withPoints(10))
                .withChecker(Checker.program("python", checker));

        GradeReport report = grader().grade(RunRequest.of("python", submission), suite);

        assertThat(verdicts(report)).as(report.cases().toString()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ok", Verdict.ACCEPTED, "wa", Verdict.WRONG_ANSWER, "pe", Verdict.PRESENTATION_ERROR,
                "half", Verdict.ACCEPTED));
        assertThat(report.find("wa").orElseThrow().message()).isEqualTo("expected 42");
        assertThat(report.score()).isEqualTo(15.0);
    }

    @Test
    void aCompiledCheckerIsCompiledOnce() {
        String checker = """
                #include <stdio.h>
                #include <string.h>
                int main(int argc, char **argv) {
                    char got[64] = {0}, want[64] = {0};
                    FILE *o = fopen(argv[2], "r"), *a = fopen(argv[3], "r");
                    if (!o || !a) return 3;
                    if (fscanf(o, "%63s", got) != 1) return 2;
                    if (fscanf(a, "%63s", want) != 1) return 3;
                    if (strcmp(got, want)) { fprintf(stderr, "got %s", got); return 1; }
                    return 0;
                }
                """;
        // Sources no other test compiled, so that the compile cache cannot serve them.
        String nonce = "// " + java.util.UUID.randomUUID() + "\n";
        GradeReport report = grader().grade(RunRequest.of("c", nonce + SUM_C),
                sums(3).withChecker(Checker.program("c", nonce + checker)));

        assertThat(report.verdict()).as(report.cases().toString()).isEqualTo(Verdict.ACCEPTED);
        assertThat(backend.stepsRunning("gcc")).as("submission and checker, once each").isEqualTo(2);

        // Graded again: both compiles come from the compile cache.
        GradeReport again = grader().grade(RunRequest.of("c", nonce + SUM_C),
                sums(3).withChecker(Checker.program("c", nonce + checker)));
        assertThat(again.verdict()).as(again.cases().toString()).isEqualTo(Verdict.ACCEPTED);
        assertThat(backend.stepsRunning("gcc")).as("a re-grade compiles nothing").isEqualTo(2);
    }

    @Test
    void aCheckerThatDoesNotCompileIsACheckerErrorForEveryCase() {
        GradeReport report = grader().grade(RunRequest.of("c", SUM_C),
                sums(2).withChecker(Checker.program("c", "int main(void) { return oops; }\n")));

        assertThat(report.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.CHECKER_ERROR);
        assertThat(report.cases()).allSatisfy(c -> assertThat(c.message()).contains("oops"));
        assertThat(report.verdict()).isEqualTo(Verdict.CHECKER_ERROR);
    }

    @Test
    void aCheckerThatLoopsOrFloodsIsStoppedByItsOwnLimits() {
        TestSuite looping = TestSuite.of(TestCase.of("1", "", "x\n"))
                .withChecker(Checker.program("python", "while True:\n    pass\n"))
                .withCheckerLimits(l -> l.withCpuTime(Duration.ofMillis(500)).withWallTime(Duration.ofSeconds(2)));
        TestSuite flooding = TestSuite.of(TestCase.of("1", "", "x\n"))
                .withChecker(Checker.program("python", "while True:\n    print('x' * 1000)\n"))
                .withCheckerLimits(l -> l.withMaxOutputBytes(10_000));
        RunRequest submission = RunRequest.of("python", "print('x')\n");

        GradeReport loop = grader().grade(submission, looping);
        GradeReport flood = grader().grade(submission, flooding);

        assertThat(loop.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.CHECKER_ERROR);
        assertThat(flood.cases()).extracting(CaseReport::verdict).containsOnly(Verdict.CHECKER_ERROR);
    }
}
