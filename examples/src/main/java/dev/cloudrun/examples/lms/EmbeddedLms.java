package dev.cloudrun.examples.lms;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeReport;
import dev.cloudrun.Grader;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestSuite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A tiny learning platform that embeds the SDK: it grades every file in a folder of submissions
 * (one per student, named {@code student.ext}, the language taken from the extension) against one
 * problem's test folder with {@link Grader}, and prints a gradebook. No server: the sandboxes run
 * on this machine.
 *
 * <pre>
 * java -cp ... dev.cloudrun.examples.lms.EmbeddedLms [TESTS_DIR] [SUBMISSIONS_DIR]
 * </pre>
 */
public final class EmbeddedLms {
    private EmbeddedLms() { }

    /**
     * Grades each submission in a folder, in name order.
     *
     * @param runner the runner the sandboxes come from
     * @param suite the problem's test cases
     * @param submissions a folder of {@code student.ext} files
     * @return each student's report, in name order
     */
    public static Map<String, GradeReport> gradeAll(CodeRunner runner, TestSuite suite, Path submissions) {
        LanguageRegistry languages = LanguageRegistry.loadDefault();
        Grader grader = Grader.create(runner);
        Map<String, GradeReport> gradebook = new LinkedHashMap<>();
        for (Path file : list(submissions)) {
            String name = file.getFileName().toString();
            String student = name.substring(0, name.lastIndexOf('.'));
            String language = languages.forFileName(name).orElseThrow(
                    () -> new IllegalArgumentException("no language for " + name)).id();
            gradebook.put(student, grader.grade(RunRequest.of(language, read(file)), suite));
        }
        return gradebook;
    }

    /**
     * @param gradebook each student's report
     * @return one line per student: name, score out of the maximum, verdict, and the first failure
     */
    public static String format(Map<String, GradeReport> gradebook) {
        StringBuilder text = new StringBuilder();
        gradebook.forEach((student, report) -> text.append(String.format(Locale.ROOT, "%-10s %4.1f/%-4.1f %-15s %s",
                student, report.score(), report.maxScore(), report.verdict(),
                report.firstFailure().map(failure -> failure.name() + ": " + failure.message()).orElse("")).stripTrailing())
                .append('\n'));
        return text.toString();
    }

    /**
     * Grades the sample submissions (or the folders given) and prints the gradebook.
     *
     * @param args the test folder and the submissions folder
     */
    public static void main(String[] args) {
        Path tests = Path.of(args.length > 0 ? args[0] : "examples/lms-grader/problem");
        Path submissions = Path.of(args.length > 1 ? args[1] : "examples/lms-grader/submissions");
        try (CodeRunner runner = CodeRunner.create()) {
            TestSuite suite = TestSuite.load(tests).withTimeLimit(Duration.ofSeconds(1));
            System.out.print(format(gradeAll(runner, suite, submissions)));
        }
    }

    private static List<Path> list(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
