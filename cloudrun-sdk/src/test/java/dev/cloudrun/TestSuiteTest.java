package dev.cloudrun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Suites from folders in each layout, and the bad input they refuse; no backend needed. */
class TestSuiteTest {
    @TempDir
    Path folder;

    private void write(String path, String content) throws IOException {
        Path file = folder.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void plainLayoutOrdersCasesNumerically() throws IOException {
        write("1.in", "1 2\n");
        write("1.out", "3\n");
        write("10.in", "5 5\n");
        write("10.out", "10\n");
        write("2.in", "2 2\n");
        write("2.ans", "4\n");

        TestSuite suite = TestSuite.load(folder);

        assertThat(suite.cases()).extracting(TestCase::name).containsExactly("1", "2", "10");
        assertThat(text(suite.cases().get(1).expectedOutput().orElseThrow())).isEqualTo("4\n");
        assertThat(suite.maxScore()).as("every case worth the same").isEqualTo(3.0);
    }

    @Test
    void polygonLayout() throws IOException {
        write("tests/01", "1 2\n");
        write("tests/01.a", "3\n");
        write("tests/02", "2 2\n");
        write("tests/02.a", "4\n");

        TestSuite suite = TestSuite.load(folder);

        assertThat(suite.cases()).extracting(TestCase::name).containsExactly("01", "02");
        assertThat(text(suite.cases().get(0).input())).isEqualTo("1 2\n");
    }

    @Test
    void cmsLayoutFlatAndInFolders() throws IOException {
        write("input0.txt", "a\n");
        write("output0.txt", "A\n");
        write("input1.txt", "b\n");
        write("output1.txt", "B\n");
        assertThat(TestSuite.load(folder).cases()).extracting(TestCase::name).containsExactly("0", "1");

        Path other = Files.createDirectory(folder.resolve("cms"));
        Files.createDirectories(other.resolve("input"));
        Files.createDirectories(other.resolve("output"));
        Files.writeString(other.resolve("input/input0.txt"), "x\n");
        Files.writeString(other.resolve("output/output0.txt"), "X\n");
        assertThat(TestSuite.load(other).cases()).extracting(TestCase::name).containsExactly("0");
    }

    @Test
    void suiteJsonSetsPointsGroupsLimitsCheckerAndFileIo() throws IOException {
        write("1.in", "1\n");
        write("1.out", "1\n");
        write("2.in", "2\n");
        write("2.out", "2\n");
        write("3.in", "3\n");
        write("3.out", "3\n");
        write("check.py", "import sys\nsys.exit(0)\n");
        write("suite.json", """
                {"points": {"1": 10},
                 "groups": [{"name": "rest", "points": 30, "cases": ["2", "3"]}],
                 "timeLimit": "0.5s", "memoryLimit": "128m",
                 "checker": {"type": "program", "file": "check.py"},
                 "fileIo": {"input": "in.txt", "output": "out.txt"}}
                """);

        TestSuite suite = TestSuite.load(folder);

        assertThat(suite.maxScore()).isEqualTo(40.0);
        assertThat(suite.groups()).containsExactly(TestGroup.of("rest", 30, "2", "3"));
        Limits limits = suite.limits(Limits.defaults());
        assertThat(limits.cpuTime()).isEqualTo(Duration.ofMillis(500));
        assertThat(limits.wallTime()).as("twice the CPU time plus a second").isEqualTo(Duration.ofMillis(2000));
        assertThat(limits.memoryBytes()).isEqualTo(128L << 20);
        assertThat(suite.checker().toString()).contains("python");
        assertThat(suite.inputFile()).contains("in.txt");
        assertThat(suite.outputFile()).contains("out.txt");
    }

    @Test
    void limitsMayAlsoSitUnderLimits() throws IOException {
        write("1.in", "1\n");
        write("1.out", "1\n");
        write("suite.json", "{\"limits\": {\"timeLimit\": \"250ms\", \"memoryLimit\": \"64m\", \"outputLimit\": \"1m\"}}");

        Limits limits = TestSuite.load(folder).limits(Limits.defaults());

        assertThat(limits.cpuTime()).isEqualTo(Duration.ofMillis(250));
        assertThat(limits.wallTime()).isEqualTo(Duration.ofMillis(1500));
        assertThat(limits.memoryBytes()).isEqualTo(64L << 20);
        assertThat(limits.maxOutputBytes()).isEqualTo(1L << 20);
    }

    @Test
    void builtInCheckerByName() throws IOException {
        write("1.in", "1\n");
        write("1.out", "1\n");
        write("suite.json", "{\"checker\": {\"type\": \"numbers\", \"absolute\": 0.01}}");

        Checker checker = TestSuite.load(folder).checker();

        assertThat(checker.check(new byte[0], "1.005".getBytes(), "1".getBytes()).verdict()).isEqualTo(Verdict.ACCEPTED);
        assertThat(checker.check(new byte[0], "1.1".getBytes(), "1".getBytes()).verdict()).isEqualTo(Verdict.WRONG_ANSWER);
    }

    @Test
    void aFolderWithoutCasesIsRefused() {
        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("cases"));
        assertThatThrownBy(() -> TestSuite.of().validate()).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("cases"));
    }

    @Test
    void anInputWithoutItsExpectedFileIsRefused() throws IOException {
        write("tests/01", "1\n");
        write("tests/01.a", "1\n");
        write("tests/02", "2\n");

        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> {
                    assertThat(e.field()).isEqualTo("tests/02");
                    assertThat(e.getMessage()).contains("02.a");
                });
    }

    @Test
    void symbolicLinksAreRefused() throws IOException {
        write("1.in", "1\n");
        Files.createSymbolicLink(folder.resolve("1.out"), Path.of("/etc/passwd"));

        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("1.out"));
    }

    @Test
    void badSuitesNameTheField() throws IOException {
        TestCase one = TestCase.of("1", "", "");
        assertThatThrownBy(() -> TestSuite.of(one, TestCase.of("1", "x", "y")).validate())
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("cases[1]"));
        assertThatThrownBy(() -> one.withPoints(-1))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("cases[1].points"));
        assertThatThrownBy(() -> TestGroup.of("g", -2, "1"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("groups[g].points"));
        assertThatThrownBy(() -> TestSuite.of(one).withGroup(TestGroup.of("g", 1, "nope")).validate())
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("groups[g].cases"));
        assertThatThrownBy(() -> TestSuite.of(one).withGroup(TestGroup.of("g", 1, "1"))
                .withGroup(TestGroup.of("h", 1, "1")).validate())
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("groups[h].cases"));
        assertThatThrownBy(() -> TestSuite.of(TestCase.withInput("2", "")).validate())
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("cases[2]"));
        assertThatThrownBy(() -> TestSuite.of(one.withExpectedFile("output.txt", new byte[0]))
                .withFileIo("input.txt", "output.txt").validate())
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.field()).isEqualTo("cases[1].expectedFiles[output.txt]"));
        assertThatThrownBy(() -> one.withExpectedFile("../x", new byte[0]))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("cases[1].expectedFiles"));
        assertThatThrownBy(() -> TestSuite.of(one).withFileIo("../in", "out"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.field()).isEqualTo("fileIo"));

        write("1.in", "1\n");
        write("1.out", "1\n");
        write("suite.json", "{\"points\": {\"1\": -5}}");
        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("suite.json.points[1]"));
        write("suite.json", "{\"checker\": \"psychic\"}");
        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("suite.json.checker"));
        write("suite.json", "{\"checker\": {\"type\": \"program\", \"file\": \"../check.py\"}}");
        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("suite.json.checker.file"));
        write("suite.json", "{\"timeLimit\": \"fast\"}");
        assertThatThrownBy(() -> TestSuite.load(folder)).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.field()).isEqualTo("suite.json.timeLimit"));
    }
}
