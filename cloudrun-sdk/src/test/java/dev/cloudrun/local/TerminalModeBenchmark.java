package dev.cloudrun.local;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: what terminal mode costs on the local backend. Python hello world one run after
 * another on pipes and in terminal mode ({@code util-linux script} and a pseudo-terminal in the
 * sandbox), the two taking turns in every round so that a change in the machine's load touches them
 * alike; prints p50 and p95 of the run's wall time as the caller sees it, in ms.
 *
 * <p>{@code java -cp ... dev.cloudrun.local.TerminalModeBenchmark [ROUNDS]} (default 30).
 */
final class TerminalModeBenchmark {
    private TerminalModeBenchmark() { }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        RunRequest pipes = RunRequest.of("python", "print('hello')\n");
        RunRequest terminal = pipes.withTerminal();
        List<Double> pipeMillis = new ArrayList<>();
        List<Double> terminalMillis = new ArrayList<>();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(
                LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false))).maxConcurrentRuns(1))) {
            for (int round = -3; round < rounds; round++) {
                double onPipes = time(runner, pipes);
                double onTerminal = time(runner, terminal);
                if (round >= 0) {
                    pipeMillis.add(onPipes);
                    terminalMillis.add(onTerminal);
                }
            }
        }
        System.out.println(String.format(Locale.ROOT, "python hello world, %d runs each, cold sandboxes: pipes p50 %.1f ms p95 %.1f ms;"
                + " terminal mode p50 %.1f ms p95 %.1f ms", rounds, percentile(pipeMillis, 50), percentile(pipeMillis, 95),
                percentile(terminalMillis, 50), percentile(terminalMillis, 95)));
    }

    private static double time(CodeRunner runner, RunRequest request) {
        long start = System.nanoTime();
        RunResult result = runner.run(request);
        double millis = (System.nanoTime() - start) / 1e6;
        if (result.status() != Status.OK || !result.stdout().equals("hello\n")) {
            throw new IllegalStateException("unexpected result: " + result);
        }
        return millis;
    }

    private static double percentile(List<Double> values, int percent) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }
}
