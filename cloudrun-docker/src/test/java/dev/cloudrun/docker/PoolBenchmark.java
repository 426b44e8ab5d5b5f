package dev.cloudrun.docker;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Not a test: what the warm pool buys. Python and C hello world one run after another (p50 and
 * p95 in ms) and Python hello world runs/s at concurrency 4, with the pool on, with it off, and
 * {@code docker run --rm --network none cloudrun/python:1 python3 -c 'print(1)'}, the ways taking
 * turns in every round so that a change in the machine's load touches them alike.
 *
 * <p>{@code java -cp ... dev.cloudrun.docker.PoolBenchmark [ROUNDS] [BATCHES] [BUILD_THREADS]} (default 15, 3
 * and the pool's default).
 */
final class PoolBenchmark {
    private static final String PYTHON = "print('hello')\n";
    private static final String C = "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n";

    private PoolBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        int batches = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        DockerBackendOptions poolOptions = new DockerBackendOptions().maxConcurrentRuns(4);
        if (args.length > 2) {
            poolOptions.poolBuildThreads(Integer.parseInt(args[2]));
        }
        DockerSandboxBackend pooled = DockerSandboxBackend.create(poolOptions);
        DockerSandboxBackend cold = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).pool(false));
        try (CodeRunner pooledRunner = CodeRunner.create(config -> config.backend(pooled).maxConcurrentRuns(4));
             CodeRunner coldRunner = CodeRunner.create(config -> config.backend(cold).maxConcurrentRuns(4))) {
            Map<String, Supplier<Long>> ways = new LinkedHashMap<>();
            ways.put("python docker run --rm", () -> time(PoolBenchmark::dockerRun));
            ways.put("python pool on", () -> time(() -> check(pooledRunner.run(RunRequest.of("python", PYTHON)))));
            ways.put("python pool off", () -> time(() -> check(coldRunner.run(RunRequest.of("python", PYTHON)))));
            ways.put("c pool on", () -> time(() -> check(pooledRunner.run(RunRequest.of("c", C)))));
            ways.put("c pool off", () -> time(() -> check(coldRunner.run(RunRequest.of("c", C)))));
            Map<String, List<Long>> samples = new LinkedHashMap<>();
            ways.keySet().forEach(way -> samples.put(way, new ArrayList<>()));
            for (int round = -2; round < rounds; round++) {
                for (Map.Entry<String, Supplier<Long>> way : ways.entrySet()) {
                    long micros = way.getValue().get();
                    if (round >= 0) {
                        samples.get(way.getKey()).add(micros);
                    }
                }
            }
            System.out.println("one run after another (" + rounds + " rounds), ms:");
            System.out.printf(Locale.ROOT, "%-24s %8s %8s%n", "way", "p50", "p95");
            samples.forEach((way, values) -> System.out.printf(Locale.ROOT, "%-24s %8.1f %8.1f%n", way,
                    percentile(values, 50) / 1000.0, percentile(values, 95) / 1000.0));
            System.out.println("pool: " + pooled.pool().hits() + " hits, " + pooled.pool().misses() + " misses");

            int perThread = 6;
            Map<String, Runnable> throughputWays = new LinkedHashMap<>();
            throughputWays.put("python docker run --rm", PoolBenchmark::dockerRun);
            throughputWays.put("python pool on", () -> check(pooledRunner.run(RunRequest.of("python", PYTHON))));
            throughputWays.put("python pool off", () -> check(coldRunner.run(RunRequest.of("python", PYTHON))));
            Map<String, List<Double>> rates = new LinkedHashMap<>();
            throughputWays.keySet().forEach(way -> rates.put(way, new ArrayList<>()));
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                for (int batch = 0; batch < batches; batch++) {
                    for (Map.Entry<String, Runnable> way : throughputWays.entrySet()) {
                        long start = System.nanoTime();
                        List<Future<?>> running = new ArrayList<>();
                        for (int thread = 0; thread < 4; thread++) {
                            running.add(threads.submit(() -> {
                                for (int i = 0; i < perThread; i++) {
                                    way.getValue().run();
                                }
                            }));
                        }
                        for (Future<?> future : running) {
                            future.get();
                        }
                        rates.get(way.getKey()).add(4.0 * perThread / ((System.nanoTime() - start) / 1e9));
                    }
                }
            } finally {
                threads.shutdown();
            }
            System.out.println("runs/s at concurrency 4 (" + batches + " batches of " + 4 * perThread + " runs, median):");
            rates.forEach((way, values) -> {
                List<Double> sorted = new ArrayList<>(values);
                Collections.sort(sorted);
                System.out.printf(Locale.ROOT, "%-24s %8.1f%n", way, sorted.get(sorted.size() / 2));
            });
            System.out.println("pool: " + pooled.pool().hits() + " hits, " + pooled.pool().misses() + " misses");
        }
    }

    private static long time(Runnable action) {
        long start = System.nanoTime();
        action.run();
        return (System.nanoTime() - start) / 1000;
    }

    private static void check(RunResult result) {
        if (result.status() != Status.OK || !result.stdout().equals("hello\n")) {
            throw new IllegalStateException("run failed: " + result.status() + " " + result.message() + result.stderr()
                    + result.compilerOutput());
        }
    }

    private static void dockerRun() {
        try {
            Process process = new ProcessBuilder("docker", "run", "--rm", "--network", "none", "cloudrun/python:1",
                    "python3", "-c", "print(1)").redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (process.waitFor() != 0) {
                throw new IllegalStateException("docker run failed: " + new String(output));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long percentile(List<Long> values, int percent) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
