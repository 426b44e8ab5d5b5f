package dev.cloudrun.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ./cloudrun bench}'s command line: flags, defaults, the older positional form and clear errors. */
class BenchOptionsTest {

    @Test
    void defaultsMeasureEveryBackendAndLanguage() {
        BenchOptions options = BenchOptions.parse();

        assertThat(options.localBackend()).isTrue();
        assertThat(options.dockerBackend()).isTrue();
        assertThat(options.languages()).containsExactly("python", "javascript", "c", "cpp", "java", "bash");
        assertThat(options.runs()).isEqualTo(10);
        assertThat(options.concurrency()).isEqualTo(4);
        assertThat(options.json()).isFalse();
    }

    @Test
    void readsEveryFlagWithASpaceOrAnEqualsSign() {
        BenchOptions options = BenchOptions.parse("--backend", "docker", "--languages=java,python", "--runs=3",
                "--concurrency", "8", "--json");

        assertThat(options.localBackend()).isFalse();
        assertThat(options.dockerBackend()).isTrue();
        assertThat(options.languages()).containsExactly("java", "python");
        assertThat(options.runs()).isEqualTo(3);
        assertThat(options.concurrency()).isEqualTo(8);
        assertThat(options.json()).isTrue();
        assertThat(BenchOptions.parse("--backend", "local").dockerBackend()).isFalse();
    }

    @Test
    void theOlderPositionalFormStillWorks() {
        BenchOptions options = BenchOptions.parse("5", "python", "bash");

        assertThat(options.runs()).isEqualTo(5);
        assertThat(options.languages()).containsExactly("python", "bash");
        assertThat(BenchOptions.parse("c").languages()).containsExactly("c");
    }

    @Test
    void badInputNamesTheFlag() {
        assertThatThrownBy(() -> BenchOptions.parse("--backend", "podman"))
                .hasMessage("--backend must be local, docker or all, was 'podman'");
        assertThatThrownBy(() -> BenchOptions.parse("--runs", "ten")).hasMessage("--runs must be a whole number, was 'ten'");
        assertThatThrownBy(() -> BenchOptions.parse("--runs", "0")).hasMessage("--runs must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> BenchOptions.parse("--concurrency", "65"))
                .hasMessage("--concurrency must be between 1 and 64, was 65");
        assertThatThrownBy(() -> BenchOptions.parse("--languages", "python,cobol"))
                .hasMessageStartingWith("--languages: no hello-world sample for 'cobol'");
        assertThatThrownBy(() -> BenchOptions.parse("--runs")).hasMessage("--runs needs a value");
        assertThatThrownBy(() -> BenchOptions.parse("--runs", "--json")).hasMessage("--runs needs a value");
        assertThatThrownBy(() -> BenchOptions.parse("--json=yes")).hasMessage("--json takes no value");
        assertThatThrownBy(() -> BenchOptions.parse("--run", "3")).hasMessageStartingWith("unknown flag --run");
        assertThatThrownBy(() -> BenchOptions.parse("--runs", "3", "python"))
                .hasMessageStartingWith("unexpected argument python");
    }

    @Test
    void aLanguageNamedTwiceIsMeasuredOnce() {
        assertThat(BenchOptions.parse("--languages", "python,python").languages()).isEqualTo(List.of("python"));
    }
}
