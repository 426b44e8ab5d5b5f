package dev.cloudrun.server.compat.jobe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Jobe's outcome rules against results made by hand. */
class JobeOutcomeTest {
    static RunResult result(Status status, String stdout, String stderr) {
        return RunResult.builder(status).stdout(stdout.getBytes(StandardCharsets.UTF_8), false)
                .stderr(stderr.getBytes(StandardCharsets.UTF_8), false).build();
    }

    @Test
    void stderr_alone_makes_a_runtime_error_and_an_exit_code_alone_does_not() {
        assertThat(JobeOutcome.of("c", result(Status.OK, "x", "warning\n")).outcome()).isEqualTo(12);
        assertThat(JobeOutcome.of("c", result(Status.RUNTIME_ERROR, "x", "")).outcome()).isEqualTo(15);
    }

    @Test
    void a_syntax_error_in_pythons_main_file_is_a_compile_error_but_one_raised_on_import_is_not() {
        String own = "  File \"/work/test.py\", line 1\n    print(\"Hello world!\"\n         ^\nSyntaxError: '(' was never closed\n";
        String imported = "Traceback (most recent call last):\n  File \"/work/test.py\", line 1, in <module>\n"
                + "    import other\n  File \"/work/other.py\", line 1\n    x = (\n        ^\nSyntaxError: '(' was never closed\n";

        JobeOutcome compile = JobeOutcome.of("python", result(Status.RUNTIME_ERROR, "", own));
        assertThat(compile.outcome()).isEqualTo(11);
        assertThat(compile.cmpinfo()).isEqualTo(own);
        assertThat(compile.stderr()).isEmpty();
        assertThat(JobeOutcome.of("python", result(Status.RUNTIME_ERROR, "", imported)).outcome()).isEqualTo(12);
        assertThat(JobeOutcome.of("python", result(Status.RUNTIME_ERROR, "printed first\n", own)).outcome()).isEqualTo(12);
    }

    @Test
    void limits_map_to_jobes_codes_and_a_time_limit_drops_stderr() {
        JobeOutcome time = JobeOutcome.of("c", result(Status.TIME_LIMIT, "partial", "killed"));
        assertThat(time.outcome()).isEqualTo(13);
        assertThat(time.stdout()).isEqualTo("partial");
        assertThat(time.stderr()).isEmpty();
        assertThat(JobeOutcome.of("c", result(Status.OUTPUT_LIMIT, "", "")).outcome()).isEqualTo(13);
        assertThat(JobeOutcome.of("c", result(Status.MEMORY_LIMIT, "", "")).outcome()).isEqualTo(17);
        assertThat(JobeOutcome.of("c", result(Status.INTERNAL_ERROR, "", "")).outcome()).isEqualTo(20);
    }

    @Test
    void output_that_is_not_utf8_is_escaped_as_jobe_escapes_it() {
        byte[] bytes = {'H', 'i', '\n', 1, 6, (byte) 0xC0, (byte) 0xC9, '\t', '\n'};

        assertThat(JobeOutcome.clean(bytes)).isEqualTo("Hi\n\\x01\\x06\\xc0\\xc9\t\n");
        assertThat(JobeOutcome.clean("rôle".getBytes(StandardCharsets.UTF_8))).isEqualTo("rôle");
    }
}
