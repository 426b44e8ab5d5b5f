package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.SandboxBackend;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The compile cache on a real backend: a byte-identical repeat skips the compiler and behaves as a
 * compile would (same output, phases and compiler messages), any change of input compiles again, and
 * nothing a program does reaches the cache. Each test's sources carry a fresh nonce, so no test sees
 * another's entries.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class CompileCacheTck {
    private SandboxBackend backend;
    private CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    @BeforeAll
    void startRunner() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2));
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    private static String nonce() {
        return UUID.randomUUID().toString();
    }

    private static RunRequest greeter(String language, String nonce) {
        if (language.equals("java")) {
            // A raw type: javac notes "unchecked or unsafe operations".
            return RunRequest.of("java", "// " + nonce + "\npublic class Greeter {\n"
                    + "  public static void main(String[] a) {\n"
                    + "    java.util.List raw = new java.util.ArrayList(); raw.add(a[0]);\n"
                    + "    System.out.println(\"hello \" + raw.get(0));\n  }\n}\n")
                    .withArgs("cached");
        }
        return RunRequest.of(language, "// " + nonce + "\n#include <stdio.h>\n#warning \"from the compiler\"\n"
                + "int main(int argc, char **argv) { printf(\"hello %s\\n\", argv[1]); return 0; }\n")
                .withArgs("cached");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"c", "java"})
    void aRepeatSkipsTheCompilerAndBehavesAsACompile(String language) {
        RunRequest request = greeter(language, nonce());
        RunResult first = runner.run(request);
        RunResult second = runner.run(request);
        List<Phase> phases = new CopyOnWriteArrayList<>();
        StringBuilder compilerChunks = new StringBuilder();
        RunResult third = runner.run(request, new RunListener() {
            @Override
            public void onPhase(Phase phase) {
                phases.add(phase);
            }

            @Override
            public void onOutput(StreamKind kind, byte[] chunk) {
                if (kind == StreamKind.COMPILER) {
                    compilerChunks.append(new String(chunk, StandardCharsets.UTF_8));
                }
            }
        });

        for (RunResult result : List.of(first, second, third)) {
            assertThat(result.status()).as(result.message() + result.stderr() + result.compilerOutput()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("hello cached\n");
        }
        // Admitted on its second sighting: the first two compiled, the third did not.
        assertThat(first.compileCached()).isFalse();
        assertThat(second.compileCached()).isFalse();
        assertThat(third.compileCached()).isTrue();
        assertThat(first.compilerOutput()).isNotBlank();
        assertThat(third.compilerOutput()).isEqualTo(first.compilerOutput());
        assertThat(compilerChunks.toString()).isEqualTo(first.compilerOutput());
        assertThat(phases).containsExactly(Phase.QUEUED, Phase.COMPILING, Phase.RUNNING, Phase.FINISHED);
    }

    @Test
    void everyInputIsPartOfTheKey() {
        String nonce = nonce();
        RunRequest base = RunRequest.of("c", "// " + nonce + "\n#include <stdio.h>\n#include \"value.h\"\n"
                + "int main(void) { printf(\"%d\\n\", VALUE); return 0; }\n");
        RunRequest one = base.withFile("value.h", "#define VALUE 1\n");
        for (int i = 0; i < 3; i++) {
            assertThat(runner.run(one).stdout()).isEqualTo("1\n");
        }
        assertThat(runner.run(one).compileCached()).isTrue();

        // A header, not the main file, changed: compiled again, and its new value shows.
        RunResult two = runner.run(base.withFile("value.h", "#define VALUE 2\n"));
        assertThat(two.compileCached()).isFalse();
        assertThat(two.stdout()).isEqualTo("2\n");
        // The environment reaches the compiler (CPATH, for one): a different one compiles again.
        assertThat(runner.run(one.withEnv("CLOUDRUN_TEST", "x")).compileCached()).isFalse();
        // Limits that change the compile command (not C's) or the run only do not matter: the same entry.
        assertThat(runner.run(one.withLimits(limits -> limits.withMaxOutputBytes(1 << 20))).compileCached()).isTrue();
        // A run that asks to compile for real does.
        RunResult fresh = runner.run(one.withCompileCache(false));
        assertThat(fresh.compileCached()).isFalse();
        assertThat(fresh.stdout()).isEqualTo("1\n");
    }

    @Test
    void whatAProgramDoesToItsArtefactsNeverReachesTheCache() {
        // The program replaces its own binary (and leaves a file) before it ends: the cached artefacts
        // were carried out right after the compile, so the next run gets the compiler's binary.
        RunRequest request = RunRequest.of("c", "// " + nonce() + "\n#include <stdio.h>\n#include <sys/stat.h>\n"
                + "int main(void) {\n"
                + "  FILE *f = fopen(\"left-behind\", \"r\"); printf(\"left: %s\\n\", f ? \"yes\" : \"no\");\n"
                + "  remove(\"main\");\n"
                + "  FILE *g = fopen(\"main\", \"w\"); fputs(\"#!/bin/sh\\necho poisoned\\n\", g); fclose(g);\n"
                + "  chmod(\"main\", 0755);\n"
                + "  FILE *h = fopen(\"left-behind\", \"w\"); fputs(\"x\", h); fclose(h);\n"
                + "  puts(\"genuine\"); return 0;\n}\n");
        for (int i = 0; i < 4; i++) {
            RunResult result = runner.run(request);
            assertThat(result.status()).as(result.message() + result.stderr() + result.compilerOutput()).isEqualTo(Status.OK);
            assertThat(result.stdout()).as("run " + i).isEqualTo("left: no\ngenuine\n");
            assertThat(result.compileCached()).as("run " + i).isEqualTo(i >= 2);
        }
    }

    @Test
    void aCompileErrorIsNeverCached() {
        RunRequest broken = RunRequest.of("c", "// " + nonce() + "\nint main(void) { return missing; }\n");
        for (int i = 0; i < 3; i++) {
            RunResult result = runner.run(broken);
            assertThat(result.status()).isEqualTo(Status.COMPILE_ERROR);
            assertThat(result.compileCached()).isFalse();
            assertThat(result.compilerOutput()).contains("missing");
        }
    }
}
