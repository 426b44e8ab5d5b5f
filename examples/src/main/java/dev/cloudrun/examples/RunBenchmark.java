package dev.cloudrun.examples;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Prints how long runs take end to end (sandbox creation, compile, run, clean-up) per language, and
 * how many short runs per second a runner sustains. A benchmark, not a test: figures depend on the
 * machine and its load.
 *
 * <pre>
 * java -cp ... dev.cloudrun.examples.RunBenchmark [local|docker|auto] [RUNS_PER_LANGUAGE] [THROUGHPUT_RUNS]
 * </pre>
 */
public final class RunBenchmark {
    private RunBenchmark() { }

    /**
     * Runs the benchmark.
     *
     * @param args backend, runs per language (default 10), throughput runs (default 100)
     * @throws Exception if the sample programs cannot be read
     */
    public static void main(String[] args) throws Exception {
        BackendKind backend = BackendKind.valueOf((args.length > 0 ? args[0] : "auto").toUpperCase(Locale.ROOT));
        int runsPerLanguage = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int throughputRuns = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        Path programs = Path.of(args.length > 3 ? args[3] : "examples/programs");
        int concurrency = Runtime.getRuntime().availableProcessors() * 2;

        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(concurrency))) {
            System.out.printf(Locale.ROOT, "backend %s, %d processors, %d runs per language%n",
                    runner.backendName(), Runtime.getRuntime().availableProcessors(), runsPerLanguage);
            System.out.printf(Locale.ROOT, "%-11s %9s %9s %9s %11s%n", "language", "p50 ms", "p95 ms", "max ms", "peak MiB");
            String[][] samples = {{"python", "hello.py"}, {"javascript", "hello.js"}, {"java", "Hello.java"},
                {"cpp", "hello.cpp"}, {"c", "hello.c"}, {"bash", "hello.sh"}};
            for (String[] sample : samples) {
                RunRequest request = RunRequest.of(sample[0], Files.readString(programs.resolve(sample[1])));
                runner.run(request);
                List<Long> millis = new ArrayList<>();
                long peak = 0;
                for (int i = 0; i < runsPerLanguage; i++) {
                    long start = System.nanoTime();
                    RunResult result = runner.run(request);
                    millis.add((System.nanoTime() - start) / 1_000_000);
                    peak = Math.max(peak, result.memoryBytes());
                    if (result.status() != Status.OK) {
                        throw new IllegalStateException(sample[0] + ": " + result);
                    }
                }
                Collections.sort(millis);
                System.out.printf(Locale.ROOT, "%-11s %9d %9d %9d %11.1f%n", sample[0], percentile(millis, 50),
                        percentile(millis, 95), millis.get(millis.size() - 1), peak / 1048576.0);
            }

            RunRequest quick = RunRequest.of("python", "print(sum(range(1000)))");
            long start = System.nanoTime();
            List<CompletableFuture<RunResult>> futures = new ArrayList<>();
            for (int i = 0; i < throughputRuns; i++) {
                futures.add(runner.runAsync(quick));
            }
            long ok = futures.stream().map(CompletableFuture::join).filter(RunResult::isOk).count();
            double seconds = Duration.ofNanos(System.nanoTime() - start).toMillis() / 1000.0;
            System.out.printf(Locale.ROOT, "throughput: %d python runs (%d OK) at concurrency %d in %.1f s = %.1f runs/s%n",
                    throughputRuns, ok, concurrency, seconds, throughputRuns / seconds);
        }
    }

    private static long percentile(List<Long> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
