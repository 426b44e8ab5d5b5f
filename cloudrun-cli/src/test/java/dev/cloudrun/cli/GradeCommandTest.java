package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code grade} command end to end on the local sandbox. */
class GradeCommandTest {
    private static final String SUM_C = "#include <stdio.h>\n"
            + "int main(void) { long a, b; if (scanf(\"%ld %ld\", &a, &b) != 2) return 1; printf(\"%ld\\n\", a + b); return 0; }\n";

    @TempDir
    Path dir;
    private Path tests;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void writeTests() throws IOException {
        tests = Files.createDirectory(dir.resolve("tests"));
        Files.writeString(tests.resolve("1.in"), "1 2\n");
        Files.writeString(tests.resolve("1.out"), "3\n");
        Files.writeString(tests.resolve("2.in"), "20 22\n");
        Files.writeString(tests.resolve("2.out"), "42\n");
    }

    private int cli(String... args) {
        return new CloudRunCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), new ByteArrayInputStream(new byte[0])).execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private JsonNode lastJsonLine() throws IOException {
        List<String> lines = stdout().lines().toList();
        return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    @Test
    void printsATableAndTheScoreAndExitsZeroWhenEverythingIsAccepted() throws IOException {
        Path solution = Files.writeString(dir.resolve("sum.c"), SUM_C);

        int code = cli("grade", solution.toString(), "--tests", tests.toString(), "--backend", "local",
                "--time-limit", "0.5s", "--memory-limit", "64m", "--json");

        assertThat(code).as(stdout() + err).isZero();
        assertThat(stdout()).contains("CASE", "VERDICT", "TIME", "MEMORY").contains("score 2/2  ACCEPTED");
        assertThat(stdout().lines().filter(line -> line.matches("[12] +ACCEPTED +\\d+ ms +\\d+ KiB.*")).count()).isEqualTo(2);
        JsonNode json = lastJsonLine();
        assertThat(json.get("verdict").asText()).isEqualTo("ACCEPTED");
        assertThat(json.get("score").asDouble()).isEqualTo(2.0);
        assertThat(json.get("maxScore").asDouble()).isEqualTo(2.0);
        assertThat(json.get("compilerOutput").asText()).isEmpty();
        assertThat(json.get("cases")).hasSize(2);
        JsonNode first = json.get("cases").get(0);
        assertThat(first.get("name").asText()).isEqualTo("1");
        assertThat(first.get("verdict").asText()).isEqualTo("ACCEPTED");
        assertThat(first.has("timeMs")).isTrue();
        assertThat(first.get("memoryBytes").asLong()).isPositive();
        assertThat(first.get("message").asText()).isEmpty();
    }

    @Test
    void aFailingCaseExitsOneAndTheTimeLimitIsCpuTime() throws IOException {
        Path solution = Files.writeString(dir.resolve("slow.py"),
                "a, b = map(int, input().split())\nif a == 20:\n    while True: pass\nprint(a + b)\n");

        int code = cli("grade", solution.toString(), "--tests", tests.toString(), "--backend", "local",
                "--time-limit", "300ms", "--json");

        assertThat(code).isEqualTo(GradeCommand.EXIT_NOT_ACCEPTED);
        JsonNode json = lastJsonLine();
        assertThat(json.get("verdict").asText()).isEqualTo("TIME_LIMIT");
        assertThat(json.get("score").asDouble()).isEqualTo(1.0);
        assertThat(json.get("cases").get(1).get("verdict").asText()).isEqualTo("TIME_LIMIT");
        assertThat(json.get("cases").get(1).get("timeMs").asLong()).as("CPU time, unless the machine is so busy that "
                + "the wall clock (2 x 300 ms + 1 s) ran out first").isPositive();
    }

    @Test
    void aCompileErrorIsReportedWithTheCompilersOutput() throws IOException {
        Path solution = Files.writeString(dir.resolve("broken.c"), "int main(void) { return nope; }\n");

        int code = cli("grade", solution.toString(), "--tests", tests.toString(), "--backend", "local", "--json");

        assertThat(code).isEqualTo(GradeCommand.EXIT_NOT_ACCEPTED);
        JsonNode json = lastJsonLine();
        assertThat(json.get("verdict").asText()).isEqualTo("COMPILE_ERROR");
        assertThat(json.get("compilerOutput").asText()).contains("nope");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nope");
    }

    @Test
    void aCheckerFileJudgesTheOutput() throws IOException {
        Path solution = Files.writeString(dir.resolve("sum.py"), "a, b = map(int, input().split())\nprint(a + b, 'units')\n");
        Path checker = Files.writeString(dir.resolve("check.py"), "import sys\n"
                + "got = open(sys.argv[2]).read().split()[0]\nwant = open(sys.argv[3]).read().split()[0]\n"
                + "sys.exit(0 if got == want else 1)\n");

        assertThat(cli("grade", solution.toString(), "--tests", tests.toString(), "--backend", "local")).isEqualTo(1);
        out.reset();
        assertThat(cli("grade", solution.toString(), "--tests", tests.toString(), "--backend", "local",
                "--checker", checker.toString())).as(stdout()).isZero();
    }

    @Test
    void badUsageExplainsItself() throws IOException {
        Path solution = Files.writeString(dir.resolve("sum.c"), SUM_C);
        Path empty = Files.createDirectory(dir.resolve("empty"));

        assertThat(cli("grade", solution.toString())).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(cli("grade", solution.toString(), "--tests", empty.toString())).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(cli("grade", solution.toString(), "--tests", tests.toString(), "--time-limit", "soon"))
                .isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("grade needs --tests DIR", "no test cases",
                "--time-limit").doesNotContain("\tat ");
    }
}
