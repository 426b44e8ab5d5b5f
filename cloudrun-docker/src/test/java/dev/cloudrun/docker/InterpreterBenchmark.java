package dev.cloudrun.docker;

import dev.cloudrun.CellResult;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Interpreter;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.local.LocalSandboxBackend;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Not a test: what a stateful interpreter costs, on the local backend and on Docker, in an open
 * Python workspace: the first cell of a fresh interpreter (its run queued, started, the driver ready,
 * then {@code x = 0}), for comparison a stateless {@code Workspace.run} of the same line, the round trip of a tiny cell ({@code x += 1}) in a running one, and of a
 * cell that prints 100 KiB, each p50 and p95 in milliseconds.
 *
 * <p>{@code java -cp ... dev.cloudrun.docker.InterpreterBenchmark [local|docker] [FRESH] [CELLS]}
 * (default both, 20 and 300).
 */
final class InterpreterBenchmark {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private InterpreterBenchmark() { }

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "both";
        int fresh = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int cells = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        if (!which.equals("docker")) {
            measure("local", LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false)), fresh, cells);
        }
        if (!which.equals("local")) {
            measure("docker", DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).pool(false)), fresh, cells);
        }
    }

    private static void measure(String name, SandboxBackend backend, int fresh, int cells) {
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
             Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            List<Double> first = new ArrayList<>();
            for (int round = -2; round < fresh; round++) {
                try (Interpreter python = workspace.openInterpreter("python")) {
                    long start = System.nanoTime();
                    check(python.execute("x = 0", LIMIT));
                    if (round >= 0) {
                        first.add((System.nanoTime() - start) / 1e6);
                    }
                }
            }
            List<Double> stateless = new ArrayList<>();
            for (int round = -2; round < fresh; round++) {
                long start = System.nanoTime();
                RunResult run = workspace.run(RunRequest.of("python", "x = 0\n").withMainFileName("bench.py"));
                if (run.status() != Status.OK) {
                    throw new IllegalStateException(run.toString());
                }
                if (round >= 0) {
                    stateless.add((System.nanoTime() - start) / 1e6);
                }
            }
            List<Double> tiny = new ArrayList<>();
            List<Double> printing = new ArrayList<>();
            try (Interpreter python = workspace.openInterpreter("python")) {
                check(python.execute("x = 0\nline = 'y' * 1023", LIMIT));
                for (int cell = -20; cell < cells; cell++) {
                    long start = System.nanoTime();
                    check(python.execute("x += 1", LIMIT));
                    if (cell >= 0) {
                        tiny.add((System.nanoTime() - start) / 1e6);
                    }
                }
                for (int cell = -5; cell < cells / 10; cell++) {
                    long start = System.nanoTime();
                    CellResult result = check(python.execute("for _ in range(100):\n    print(line)", LIMIT));
                    if (result.stdout().length() != 100 * 1024) {
                        throw new IllegalStateException("printed " + result.stdout().length() + " characters");
                    }
                    if (cell >= 0) {
                        printing.add((System.nanoTime() - start) / 1e6);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%s: first cell of a fresh interpreter (%d): %s%n", name, first.size(), percentiles(first));
            System.out.printf(Locale.ROOT, "%s: for comparison, Workspace.run of x = 0 (%d): %s%n", name, stateless.size(),
                    percentiles(stateless));
            System.out.printf(Locale.ROOT, "%s: tiny cell round trip (%d): %s%n", name, tiny.size(), percentiles(tiny));
            System.out.printf(Locale.ROOT, "%s: cell printing 100 KiB (%d): %s%n", name, printing.size(), percentiles(printing));
        }
    }

    private static CellResult check(CellResult result) {
        if (result.status() != Status.OK) {
            throw new IllegalStateException(result.toString());
        }
        return result;
    }

    private static String percentiles(List<Double> millis) {
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        double p50 = sorted.get((int) Math.floor(0.50 * (sorted.size() - 1)));
        double p95 = sorted.get((int) Math.floor(0.95 * (sorted.size() - 1)));
        return String.format(Locale.ROOT, "p50 %.2f ms, p95 %.2f ms", p50, p95);
    }
}
