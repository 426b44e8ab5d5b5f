package dev.cloudrun.examples;

import dev.cloudrun.CaseReport;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeListener;
import dev.cloudrun.GradeReport;
import dev.cloudrun.Grader;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestSuite;
import dev.cloudrun.Verdict;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a learning platform grades one submission against test cases with the SDK's {@link Grader}:
 * the submission is compiled once, every case runs in a fresh sandbox on the compiled program, in
 * parallel up to the runner's slots, and each output is checked line by line (trailing whitespace
 * ignored) into a verdict, a score and a first difference.
 */
public final class GradeSubmission {
    private GradeSubmission() { }

    /**
     * Grades a submission against input/expected-output pairs, one point each, one second of CPU time per case.
     *
     * @param runner the shared runner
     * @param language the submission's language
     * @param source the submission
     * @param cases input to expected output, in order
     * @return one verdict per case: "passed", "wrong answer", or the verdict and what stopped the program
     */
    public static List<String> grade(CodeRunner runner, String language, String source, Map<String, String> cases) {
        List<TestCase> testCases = new ArrayList<>();
        cases.forEach((input, output) -> testCases.add(TestCase.of(Integer.toString(testCases.size() + 1), input, output)));
        TestSuite suite = TestSuite.of(testCases).withTimeLimit(Duration.ofSeconds(1));
        GradeReport report = Grader.create(runner).grade(RunRequest.of(language, source), suite);
        List<String> verdicts = new ArrayList<>();
        for (CaseReport caseReport : report.cases()) {
            verdicts.add(caseReport.verdict() == Verdict.ACCEPTED ? "passed"
                    : caseReport.verdict() == Verdict.WRONG_ANSWER ? "wrong answer"
                    : caseReport.verdict() + ": " + caseReport.message());
        }
        return verdicts;
    }

    /**
     * Grades a sample submission and prints the report: against the test folder named by the
     * first argument ({@code 1.in}/{@code 1.out}, Polygon or CMS layout), or against three built-in cases.
     *
     * @param args an optional test folder
     */
    public static void main(String[] args) {
        String source = "a, b = map(int, input().split())\nprint(a + b)\n";
        // docs:start
        try (CodeRunner runner = CodeRunner.create()) {
            TestSuite suite = args.length > 0 ? TestSuite.load(Path.of(args[0]))
                    : TestSuite.of(TestCase.of("1", "1 2\n", "3\n"), TestCase.of("2", "40 2\n", "42\n"));
            GradeReport report = Grader.create(runner)
                    .withListener(new GradeListener() {
                        @Override
                        public void onCase(CaseReport caseReport) {
                            System.out.println(caseReport);    // live, as each case is judged
                        }
                    })
                    .grade(RunRequest.of("python", source), suite.withTimeLimit(Duration.ofSeconds(1)));
            System.out.println(report.verdict() + " " + report.score() + "/" + report.maxScore());
        }
        // docs:end
    }
}
