package dev.cloudrun;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One test of a {@link TestSuite}: what the program gets (stdin, input files), what it should
 * produce (stdout, or the output file of a file I/O task, and any further expected files), how many
 * points it is worth and, optionally, limits of its own. Immutable: every {@code withX} method
 * returns a copy.
 *
 * <pre>{@code
 * TestCase.of("1", "2 3\n", "5\n").withPoints(10)
 * TestCase.withInput("2", "data\n").withExpectedFile("report.csv", expectedCsv)   // stdout not checked
 * }</pre>
 */
public final class TestCase {
    private final String name;
    private final byte[] stdin;
    private final byte[] expectedOutput;
    private final Map<String, byte[]> files;
    private final Map<String, byte[]> expectedFiles;
    private final double points;
    private final UnaryOperator<Limits> limits;

    private TestCase(String name, byte[] stdin, byte[] expectedOutput, Map<String, byte[]> files,
                     Map<String, byte[]> expectedFiles, double points, UnaryOperator<Limits> limits) {
        this.name = name;
        this.stdin = stdin;
        this.expectedOutput = expectedOutput;
        this.files = files;
        this.expectedFiles = expectedFiles;
        this.points = points;
        this.limits = limits;
    }

    /**
     * A case fed on stdin whose stdout is checked.
     *
     * @param name the case's name, unique in its suite ("1", "01", "sample")
     * @param stdin the program's whole input
     * @param expectedOutput the expected output (the answer the checker compares with)
     * @return the case, worth 1 point
     */
    public static TestCase of(String name, String stdin, String expectedOutput) {
        return of(name, stdin.getBytes(StandardCharsets.UTF_8), expectedOutput.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A case given as bytes.
     *
     * @param name the case's name, unique in its suite
     * @param stdin the program's whole input
     * @param expectedOutput the expected output
     * @return the case, worth 1 point
     */
    public static TestCase of(String name, byte[] stdin, byte[] expectedOutput) {
        return new TestCase(Objects.requireNonNull(name, "name"), Objects.requireNonNull(stdin, "stdin").clone(),
                Objects.requireNonNull(expectedOutput, "expectedOutput").clone(), Map.of(), Map.of(), 1,
                UnaryOperator.identity());
    }

    /**
     * A case whose stdout (or output file) is not checked: give it {@link #withExpectedFile expected files}.
     *
     * @param name the case's name, unique in its suite
     * @param stdin the program's whole input
     * @return the case, worth 1 point
     */
    public static TestCase withInput(String name, String stdin) {
        return new TestCase(Objects.requireNonNull(name, "name"), stdin.getBytes(StandardCharsets.UTF_8), null,
                Map.of(), Map.of(), 1, UnaryOperator.identity());
    }

    /**
     * @param value how many points the case is worth (at least 0; a case in a group scores through its group)
     * @return a copy worth that much
     */
    public TestCase withPoints(double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new InvalidRequestException("cases[" + name + "].points", "must be 0 or more, was " + value);
        }
        return new TestCase(name, stdin, expectedOutput, files, expectedFiles, value, limits);
    }

    /**
     * Adds a file to the case's workspace (data the program reads besides its input).
     *
     * @param path a relative path
     * @param content its bytes
     * @return a copy with the file
     */
    public TestCase withFile(String path, byte[] content) {
        Map<String, byte[]> copy = new LinkedHashMap<>(files);
        copy.put(Objects.requireNonNull(path, "path"), Objects.requireNonNull(content, "content").clone());
        return new TestCase(name, stdin, expectedOutput, Collections.unmodifiableMap(copy), expectedFiles, points, limits);
    }

    /**
     * Expects the program to leave a file in its workspace, checked with the suite's checker
     * against {@code content} (the file is carried out of the sandbox as bytes, never read by path).
     *
     * @param path a plain relative file name such as {@code result.txt} or {@code out/summary.csv}
     * @param content the expected content
     * @return a copy expecting the file
     */
    public TestCase withExpectedFile(String path, byte[] content) {
        if (path == null || !path.matches("[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*") || path.length() > 200) {
            throw new InvalidRequestException("cases[" + name + "].expectedFiles",
                    "must be relative paths of letters, digits and ._-, was " + path);
        }
        Map<String, byte[]> copy = new LinkedHashMap<>(expectedFiles);
        copy.put(path, Objects.requireNonNull(content, "content").clone());
        return new TestCase(name, stdin, expectedOutput, files, Collections.unmodifiableMap(copy), points, limits);
    }

    /**
     * Adjusts the suite's limits for this case only, for example {@code l -> l.withMemoryBytes(256L << 20)}.
     *
     * @param adjustment from the suite's limits to this case's
     * @return a copy with the adjustment applied after any earlier one
     */
    public TestCase withLimits(UnaryOperator<Limits> adjustment) {
        Objects.requireNonNull(adjustment, "adjustment");
        UnaryOperator<Limits> previous = limits;
        return new TestCase(name, stdin, expectedOutput, files, expectedFiles, points,
                base -> adjustment.apply(previous.apply(base)));
    }

    /** @return the case's name */
    public String name() {
        return name;
    }

    /** @return the input (stdin, or the input file's content for file I/O tasks), a copy */
    public byte[] input() {
        return stdin.clone();
    }

    /** @return the expected stdout (or output file), a copy; empty when only expected files are checked */
    public Optional<byte[]> expectedOutput() {
        return Optional.ofNullable(expectedOutput).map(byte[]::clone);
    }

    /** @return the files the program must leave, by path, a copy */
    public Map<String, byte[]> expectedFiles() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        expectedFiles.forEach((path, content) -> copy.put(path, content.clone()));
        return copy;
    }

    /** @return extra files of the case's workspace, a copy */
    public Map<String, byte[]> files() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        files.forEach((path, content) -> copy.put(path, content.clone()));
        return copy;
    }

    /** @return how many points the case is worth */
    public double points() {
        return points;
    }

    /**
     * @param suiteLimits the suite's limits
     * @return this case's limits
     */
    public Limits limits(Limits suiteLimits) {
        return Optional.ofNullable(limits.apply(suiteLimits))
                .orElseThrow(() -> new InvalidRequestException("cases[" + name + "].limits", "the adjustment returned null"));
    }

    @Override
    public String toString() {
        return "TestCase{" + name + ", points=" + points + ", inputBytes=" + stdin.length
                + ", expectedBytes=" + (expectedOutput == null ? "unchecked" : expectedOutput.length)
                + ", expectedFiles=" + expectedFiles.keySet() + "}";
    }
}
