package dev.cloudrun.examples;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How a learning platform grades one submission against test cases: every case runs in its own
 * sandbox, in parallel, and the verdict comes from the result's status and output.
 */
public final class GradeSubmission {
    private GradeSubmission() { }

    /**
     * Grades a submission.
     *
     * @param runner the shared runner
     * @param language the submission's language
     * @param source the submission
     * @param cases input to expected output
     * @return one verdict per case: "passed", "wrong answer", or the failing status
     */
    public static List<String> grade(CodeRunner runner, String language, String source, Map<String, String> cases) {
        List<CompletableFuture<RunResult>> runs = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        cases.forEach((input, output) -> {
            expected.add(output);
            runs.add(runner.runAsync(RunRequest.of(language, source)
                    .withStdin(input)
                    .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(2)).withCpuTime(Duration.ofSeconds(1)))));
        });
        List<String> verdicts = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            RunResult result = runs.get(i).join();
            if (result.status() != Status.OK) {
                verdicts.add(result.status() + ": " + result.message());
            } else if (result.stdout().strip().equals(expected.get(i).strip())) {
                verdicts.add("passed");
            } else {
                verdicts.add("wrong answer");
            }
        }
        return verdicts;
    }

    /**
     * Grades a sample submission and prints the verdicts.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        try (CodeRunner runner = CodeRunner.create()) {
            String source = "a, b = map(int, input().split())\nprint(a + b)";
            System.out.println(grade(runner, "python", source, Map.of("1 2\n", "3", "40 2\n", "42", "5 5\n", "11")));
        }
    }
}
