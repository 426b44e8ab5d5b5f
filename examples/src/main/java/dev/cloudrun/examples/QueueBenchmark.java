package dev.cloudrun.examples;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Prints what a burst of queued runs costs the JVM: threads and heap with all of them queued on a
 * runner with few slots, and how long they take to drain. A benchmark, not a test.
 *
 * <pre>
 * java -cp ... dev.cloudrun.examples.QueueBenchmark [local|docker|auto] [RUNS (5000)] [SLOTS (2)]
 * </pre>
 */
public final class QueueBenchmark {
    private QueueBenchmark() { }

    /**
     * Runs the benchmark.
     *
     * @param args backend, number of runs, number of slots
     */
    public static void main(String[] args) {
        BackendKind backend = BackendKind.valueOf((args.length > 0 ? args[0] : "local").toUpperCase(Locale.ROOT));
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
        int slots = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(slots))) {
            System.gc();
            int threadsBefore = threads.getThreadCount();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            threads.resetPeakThreadCount();
            long started = System.nanoTime();
            List<CompletableFuture<RunResult>> results = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                results.add(runner.runAsync(RunRequest.of("bash", "echo " + i)));
            }
            long queuedAfterNanos = System.nanoTime() - started;
            int threadsQueued = threads.getThreadCount();
            long heapQueued = memory.getHeapMemoryUsage().getUsed();
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).join();
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf(Locale.ROOT, "backend %s, %d runs queued on %d slots in %d ms%n",
                    runner.backendName(), runs, slots, queuedAfterNanos / 1_000_000);
            System.out.printf(Locale.ROOT, "threads: %d before, %d with all queued, %d at the peak%n",
                    threadsBefore, threadsQueued, threads.getPeakThreadCount());
            System.out.printf(Locale.ROOT, "heap used: %d MiB before, %d MiB with all queued%n",
                    heapBefore >> 20, heapQueued >> 20);
            System.out.printf(Locale.ROOT, "drained in %.1f s (%.0f runs/s)%n", seconds, runs / seconds);
        }
    }
}
