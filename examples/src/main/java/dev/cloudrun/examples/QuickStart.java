package dev.cloudrun.examples;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.StreamKind;
import java.time.Duration;

/** The README's first example: run a Python program with stdin, limits and live output. */
public final class QuickStart {
    private QuickStart() { }

    /**
     * Runs the example.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        // readme:start
        try (CodeRunner runner = CodeRunner.create()) {
            RunRequest request = RunRequest.of("python", "name = input()\nprint(f'Hello, {name}!')")
                    .withStdin("Ada\n")
                    .withLimits(limits -> limits
                            .withWallTime(Duration.ofSeconds(5))
                            .withMemoryBytes(128L * 1024 * 1024));

            RunResult result = runner.run(request, new RunListener() {
                @Override
                public void onText(StreamKind stream, String text) {
                    System.out.print(text);                      // live output, as it is printed
                }
            });

            System.out.println(result.status());                 // OK
            System.out.println(result.wallTime().toMillis() + " ms, "
                    + result.memoryBytes() / 1024 + " KiB peak");
        }
        // readme:end
    }
}
