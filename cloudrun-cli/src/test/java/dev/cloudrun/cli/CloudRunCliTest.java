package dev.cloudrun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code run} command end to end on the local sandbox. */
class CloudRunCliTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int cli(InputStream stdin, String... args) {
        return new CloudRunCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), stdin).execute(args);
    }

    private int cli(String... args) {
        return cli(new ByteArrayInputStream(new byte[0]), args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void runsEveryBuiltInLanguageFromItsFileExtension() throws IOException {
        Path examples = Path.of("../examples/programs");
        for (String file : List.of("hello.py", "hello.js", "Hello.java", "hello.cpp", "hello.c", "hello.sh")) {
            out.reset();
            int code = cli("run", examples.resolve(file).toString(), "--backend", "local");
            assertThat(code).as(file + ": " + err).isZero();
            assertThat(stdout()).as(file).startsWith("Hello from ");
        }
    }

    @Test
    void passesTerminalInputThroughAndExitsWithTheProgramsCode() throws IOException {
        Path program = Files.writeString(dir.resolve("greet.py"),
                "import sys\nname = input('Name? ')\nprint(f'Hi {name}')\nsys.exit(3)\n");

        int code = cli(new ByteArrayInputStream("Bob\n".getBytes(StandardCharsets.UTF_8)), "run", program.toString(),
                "--backend", "local");

        assertThat(code).isEqualTo(3);
        assertThat(stdout()).isEqualTo("Name? Hi Bob\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("RUNTIME_ERROR: exited with code 3");
    }

    @Test
    void jsonEndsWithOneResultLine() throws IOException {
        Path program = Files.writeString(dir.resolve("args.py"), "import sys\nprint(sys.argv[1:])\n");
        Path input = Files.writeString(dir.resolve("input.txt"), "ignored");

        int code = cli("run", program.toString(), "--backend", "local", "--stdin", input.toString(), "--json", "--", "x", "y z");

        assertThat(code).isZero();
        List<String> lines = stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("['x', 'y z']");
        JsonNode json = new ObjectMapper().readTree(lines.get(1));
        assertThat(json.get("status").asText()).isEqualTo("OK");
        assertThat(json.get("exitCode").asInt()).isZero();
        assertThat(json.get("wallTimeMs").asLong()).isPositive();
        assertThat(json.has("cpuTimeMs")).isTrue();
        assertThat(json.get("memoryBytes").asLong()).isPositive();
    }

    /** Output that does not end in a newline (cut at the output cap, say) still leaves the JSON a line of its own. */
    @Test
    void jsonStartsOnALineOfItsOwnAfterOutputWithoutANewline() throws IOException {
        Path partial = Files.writeString(dir.resolve("partial.py"), "print('x', end='')\n");
        Path flood = Files.writeString(dir.resolve("flood.py"), "import sys\nsys.stdout.write('flo' * 1_000_000)\n");

        assertThat(cli("run", partial.toString(), "--backend", "local", "--json")).isZero();
        List<String> lines = stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("x");
        assertThat(new ObjectMapper().readTree(lines.get(lines.size() - 1)).get("status").asText()).isEqualTo("OK");

        out.reset();
        cli("run", flood.toString(), "--backend", "local", "--json");
        lines = stdout().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("floflo");
        assertThat(new ObjectMapper().readTree(lines.get(1)).get("status").asText()).isEqualTo("OUTPUT_LIMIT");
    }

    @Test
    void limitsAndCompileErrorsMapToExitCodes() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.c"), "int main(void) { return nope; }\n");
        assertThat(cli("run", broken.toString(), "--backend", "local")).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nope");
    }

    @Test
    void autoInstallInstallsFromTheNpmRegistryAndKeepsThePackageForTheNextRun() throws IOException {
        Path program = Files.writeString(dir.resolve("pad.js"),
                "const isOdd = require('is-odd');\nconsole.log(isOdd(43));\n");

        int missing = cli("run", program.toString(), "--backend", "local");
        assertThat(missing).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("missing packages: is-odd", "--auto-install");

        err.reset();
        out.reset();
        assertThat(cli("run", program.toString(), "--backend", "local", "--auto-install")).isZero();
        assertThat(stdout()).isEqualTo("true\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("installing is-odd", "installed is-odd");

        err.reset();
        out.reset();
        assertThat(cli("run", program.toString(), "--backend", "local", "--auto-install", "--json")).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).doesNotContain("installing");
        assertThat(stdout()).contains("\"installedPackages\":[]");
    }

    @Test
    void badUsageExplainsItselfWithoutAStackTrace() throws IOException {
        assertThat(cli("run")).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(cli("run", dir.resolve("missing.py").toString())).isEqualTo(CloudRunCli.EXIT_USAGE);
        Path text = Files.writeString(dir.resolve("notes.txt"), "x");
        assertThat(cli("run", text.toString())).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(cli("run", text.toString(), "--lang", "cobol")).isEqualTo(CloudRunCli.EXIT_USAGE);
        assertThat(cli("run", text.toString(), "--backend", "vm")).isEqualTo(CloudRunCli.EXIT_USAGE);
        String errors = err.toString(StandardCharsets.UTF_8);
        assertThat(errors).contains("run needs a FILE", "no such file", "--lang ID", "unknown language 'cobol'",
                "--backend must be").doesNotContain("Exception", "\tat ");
    }
}
