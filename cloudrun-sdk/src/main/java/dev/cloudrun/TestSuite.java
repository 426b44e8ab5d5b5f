package dev.cloudrun;

import dev.cloudrun.internal.grading.SuiteFolder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The test cases a {@link Grader} judges a submission against, with optional groups (subtasks),
 * suite-wide limits, a checker and file I/O. Immutable: every {@code withX} method returns a copy.
 *
 * <pre>{@code
 * TestSuite suite = TestSuite.of(
 *                 TestCase.of("1", "2 3\n", "5\n"),
 *                 TestCase.of("2", "10 -4\n", "6\n"))
 *         .withTimeLimit(Duration.ofMillis(500))
 *         .withChecker(Checker.tokens());
 * TestSuite fromDisk = TestSuite.load(Path.of("problems/sum"));
 * }</pre>
 *
 * <p>A suite is checked when it is graded ({@link #validate()}): no cases, two cases or groups with
 * one name, a group naming an unknown case, or a case in two groups is an
 * {@link InvalidRequestException} naming the field.
 */
public final class TestSuite {
    /** The checker's limits unless {@link #withCheckerLimits} says otherwise: 10 s, 256 MiB, 1 MiB of output. */
    private static final UnaryOperator<Limits> DEFAULT_CHECKER_LIMITS = limits -> limits
            .withCpuTime(Duration.ofSeconds(10)).withWallTime(Duration.ofSeconds(20))
            .withMemoryBytes(256L << 20).withMaxOutputBytes(1L << 20);

    private final List<TestCase> cases;
    private final List<TestGroup> groups;
    private final UnaryOperator<Limits> limits;
    private final Checker checker;
    private final UnaryOperator<Limits> checkerLimits;
    private final String inputFile;
    private final String outputFile;

    private TestSuite(List<TestCase> cases, List<TestGroup> groups, UnaryOperator<Limits> limits, Checker checker,
                      UnaryOperator<Limits> checkerLimits, String inputFile, String outputFile) {
        this.cases = List.copyOf(cases);
        this.groups = List.copyOf(groups);
        this.limits = limits;
        this.checker = checker;
        this.checkerLimits = checkerLimits;
        this.inputFile = inputFile;
        this.outputFile = outputFile;
    }

    /**
     * @param cases the cases, in the order they are reported
     * @return a suite with the runner's default limits and the {@link Checker#lines()} checker
     */
    public static TestSuite of(TestCase... cases) {
        return of(List.of(cases));
    }

    /**
     * @param cases the cases, in the order they are reported
     * @return a suite with the runner's default limits and the {@link Checker#lines()} checker
     */
    public static TestSuite of(List<TestCase> cases) {
        return new TestSuite(cases, List.of(), UnaryOperator.identity(), Checker.lines(), DEFAULT_CHECKER_LIMITS,
                null, null);
    }

    /**
     * Loads a suite from a folder in one of the common layouts: {@code 1.in}/{@code 1.out} (or
     * {@code .ans}), Polygon's {@code tests/01}/{@code tests/01.a}, CMS's
     * {@code input0.txt}/{@code output0.txt} (also under {@code input/} and {@code output/}); plus an
     * optional {@code suite.json} with {@code points}, {@code groups}, {@code timeLimit},
     * {@code memoryLimit}, {@code checker} and {@code fileIo} (see {@code docs/grader.md}).
     *
     * @param folder the folder
     * @return the suite, cases ordered by name (numerically where the names are numbers)
     * @throws InvalidRequestException if the folder holds no cases, an input lacks its expected
     *     file, or {@code suite.json} is invalid, naming the file or field
     */
    public static TestSuite load(Path folder) {
        return SuiteFolder.load(Objects.requireNonNull(folder, "folder"));
    }

    /**
     * @param more cases to append
     * @return a copy with them
     */
    public TestSuite withCases(List<TestCase> more) {
        List<TestCase> all = new ArrayList<>(cases);
        all.addAll(more);
        return new TestSuite(all, groups, limits, checker, checkerLimits, inputFile, outputFile);
    }

    /**
     * Adds a group (a subtask): it scores its points only when all its cases are accepted.
     *
     * @param group the group
     * @return a copy with it
     */
    public TestSuite withGroup(TestGroup group) {
        List<TestGroup> all = new ArrayList<>(groups);
        all.add(Objects.requireNonNull(group, "group"));
        return new TestSuite(cases, all, limits, checker, checkerLimits, inputFile, outputFile);
    }

    /**
     * Adjusts the runner's default limits for every case, for example {@code l -> l.withMemoryBytes(64L << 20)}.
     *
     * @param adjustment from the runner's defaults to the suite's limits, chained after earlier ones
     * @return a copy with it
     */
    public TestSuite withLimits(UnaryOperator<Limits> adjustment) {
        Objects.requireNonNull(adjustment, "adjustment");
        UnaryOperator<Limits> previous = limits;
        return new TestSuite(cases, groups, base -> adjustment.apply(previous.apply(base)), checker, checkerLimits,
                inputFile, outputFile);
    }

    /**
     * The contest graders' time limit: CPU time per case, with a wall-clock limit of twice that plus
     * a second (so a program that sleeps or waits still stops).
     *
     * @param cpuTime the CPU time a case may use
     * @return a copy with it
     */
    public TestSuite withTimeLimit(Duration cpuTime) {
        if (cpuTime == null || cpuTime.isNegative() || cpuTime.isZero()) {
            throw new InvalidRequestException("timeLimit", "must be positive, was " + cpuTime);
        }
        return withLimits(l -> l.withCpuTime(cpuTime).withWallTime(cpuTime.multipliedBy(2).plusSeconds(1)));
    }

    /**
     * @param bytes the memory a case may use
     * @return a copy with it
     */
    public TestSuite withMemoryLimit(long bytes) {
        return withLimits(l -> l.withMemoryBytes(bytes));
    }

    /**
     * @param value how outputs are judged (default {@link Checker#lines()})
     * @return a copy with that checker
     */
    public TestSuite withChecker(Checker value) {
        return new TestSuite(cases, groups, limits, Objects.requireNonNull(value, "checker"), checkerLimits,
                inputFile, outputFile);
    }

    /**
     * Limits of a {@link Checker#program checker program}, from the runner's defaults (default
     * 10 s CPU, 256 MiB, 1 MiB of output): a checker that loops or floods is stopped and the case is
     * {@link Verdict#CHECKER_ERROR}.
     *
     * @param adjustment from the runner's defaults to the checker's limits
     * @return a copy with them
     */
    public TestSuite withCheckerLimits(UnaryOperator<Limits> adjustment) {
        return new TestSuite(cases, groups, limits, checker, Objects.requireNonNull(adjustment, "adjustment"),
                inputFile, outputFile);
    }

    /**
     * Makes this a file I/O task: each case's input is written to {@code inputFileName} in the
     * workspace (stdin is empty), and the file {@code outputFileName} the program writes is what is
     * checked.
     *
     * @param inputFileName for example {@code input.txt}
     * @param outputFileName for example {@code output.txt}
     * @return a copy with file I/O
     */
    public TestSuite withFileIo(String inputFileName, String outputFileName) {
        for (String name : new String[] {inputFileName, outputFileName}) {
            if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,99}")) {
                throw new InvalidRequestException("fileIo", "file names must be plain names of letters, digits and ._-, was " + name);
            }
        }
        if (inputFileName.equals(outputFileName)) {
            throw new InvalidRequestException("fileIo", "input and output must be different files");
        }
        return new TestSuite(cases, groups, limits, checker, checkerLimits, inputFileName, outputFileName);
    }

    /** @return the cases in order */
    public List<TestCase> cases() {
        return cases;
    }

    /** @return the groups */
    public List<TestGroup> groups() {
        return groups;
    }

    /**
     * @param runnerDefaults the runner's default limits
     * @return the suite's limits
     */
    public Limits limits(Limits runnerDefaults) {
        return Objects.requireNonNull(limits.apply(runnerDefaults), "limits adjustment returned null");
    }

    /**
     * @param runnerDefaults the runner's default limits
     * @return the checker program's limits
     */
    public Limits checkerLimits(Limits runnerDefaults) {
        return Objects.requireNonNull(checkerLimits.apply(runnerDefaults), "checker limits adjustment returned null");
    }

    /** @return the checker */
    public Checker checker() {
        return checker;
    }

    /** @return the input file of a file I/O task */
    public Optional<String> inputFile() {
        return Optional.ofNullable(inputFile);
    }

    /** @return the output file of a file I/O task */
    public Optional<String> outputFile() {
        return Optional.ofNullable(outputFile);
    }

    /** @return the most points a submission can score: the groups' points plus those of cases in no group */
    public double maxScore() {
        Set<String> grouped = new HashSet<>();
        double total = 0;
        for (TestGroup group : groups) {
            grouped.addAll(group.cases());
            total += group.points();
        }
        for (TestCase testCase : cases) {
            if (!grouped.contains(testCase.name())) {
                total += testCase.points();
            }
        }
        return total;
    }

    /**
     * Checks the suite as a whole.
     *
     * @throws InvalidRequestException naming the field: no cases, a duplicate case or group name, a
     *     group naming an unknown case, a case in two groups
     */
    public void validate() {
        if (cases.isEmpty()) {
            throw new InvalidRequestException("cases", "the suite has no test cases");
        }
        Set<String> names = new HashSet<>();
        for (TestCase testCase : cases) {
            if (testCase.name().isBlank()) {
                throw new InvalidRequestException("cases", "a case has an empty name");
            }
            if (!names.add(testCase.name())) {
                throw new InvalidRequestException("cases[" + testCase.name() + "]", "two cases are named " + testCase.name());
            }
            if (testCase.expectedOutput().isEmpty() && testCase.expectedFiles().isEmpty()) {
                throw new InvalidRequestException("cases[" + testCase.name() + "]",
                        "expects nothing: give an expected output or expected files");
            }
            for (String expected : testCase.expectedFiles().keySet()) {
                if (expected.equals(inputFile) || expected.equals(outputFile) || testCase.files().containsKey(expected)) {
                    throw new InvalidRequestException("cases[" + testCase.name() + "].expectedFiles[" + expected + "]",
                            "is also the input file, the output file or an input of the case");
                }
            }
        }
        Set<String> groupNames = new HashSet<>();
        Map<String, String> groupOf = new HashMap<>();
        for (TestGroup group : groups) {
            if (!groupNames.add(group.name())) {
                throw new InvalidRequestException("groups[" + group.name() + "]", "two groups are named " + group.name());
            }
            for (String member : group.cases()) {
                if (!names.contains(member)) {
                    throw new InvalidRequestException("groups[" + group.name() + "].cases", "names no case " + member);
                }
                String previous = groupOf.put(member, group.name());
                if (previous != null) {
                    throw new InvalidRequestException("groups[" + group.name() + "].cases",
                            "case " + member + " is already in group " + previous);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "TestSuite{cases=" + cases.size() + ", groups=" + groups.size() + ", maxScore=" + maxScore()
                + (inputFile == null ? "" : ", fileIo=" + inputFile + "/" + outputFile) + "}";
    }
}
