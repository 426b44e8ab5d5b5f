package dev.cloudrun.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * {@code ./cloudrun bench}: what a sandboxed run costs on this machine against the same program
 * run bare, in one process, every path taking its turn in each round so that a change in the
 * machine's load touches them all alike. See {@code docs/performance.md} for the method and the
 * targets it checks. A benchmark, not a test: it prints figures and asserts nothing about them.
 * Paths that cannot run here (no Docker, no gVisor) are shown as {@code -}.
 *
 * <pre>
 * ./cloudrun bench [--backend local|docker|all] [--languages python,javascript,...] [--runs N] [--concurrency C] [--json]
 * </pre>
 */
public final class CloudRunBenchmark {
    static final String BARE = "bare";
    static final String DOCKER_RUN = "docker run";
    static final String LOCAL = "local";
    static final String RUNC = "docker runc";
    static final String RUNSC = "docker runsc";
    static final String PIPE = "pipe";
    private static final String REPEAT = " (repeat)";
    private static final String COPIES = " (byte[] copies)";
    private static final long MIB = 1024L * 1024;
    private static final long STREAM_BYTES = 100 * MIB;
    private static final String STREAM_SOURCE = "import sys\nchunk = b'x' * 65536\nwrite = sys.stdout.buffer.write\n"
            + "for _ in range(" + STREAM_BYTES / 65536 + "):\n    write(chunk)\n";
    private static final Duration THROUGHPUT_WINDOW = Duration.ofSeconds(5);
    private static final int THROUGHPUT_ROUNDS = 2;
    private static final int THROUGHPUT_MAX_RUNS_PER_WINDOW = 500;
    private static final int WEBSOCKETS = 200;
    private static final Map<String, String> SAMPLES = Map.of("python", "hello.py", "javascript", "hello.js",
            "java", "Hello.java", "cpp", "hello.cpp", "c", "hello.c", "bash", "hello.sh");
    private static final Map<String, String> LINE_COMMENT = Map.of("python", "#", "bash", "#");

    private final BenchOptions options;
    private final PrintStream progress;
    private final LanguageRegistry registry = LanguageRegistry.loadDefault();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private DockerCli docker;
    private final Map<String, CodeRunner> backends = new LinkedHashMap<>();
    /** The Docker backends behind the runners of the same names (their warm pools are asked for idle memory). */
    private final Map<String, DockerSandboxBackend> dockerBackends = new LinkedHashMap<>();

    private CloudRunBenchmark(BenchOptions options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    /**
     * Runs the benchmark; exits with 2 on bad usage, 1 if it cannot go on (a sample program it cannot read).
     *
     * @param args see {@link BenchOptions}
     */
    public static void main(String[] args) {
        BenchOptions options;
        try {
            if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
                System.out.println(BenchOptions.USAGE);
                return;
            }
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("cloudrun bench: " + e.getMessage() + "\n" + BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        // With --json, stdout carries only the document; progress goes to stderr.
        CloudRunBenchmark benchmark = new CloudRunBenchmark(options, options.json() ? System.err : System.out);
        int exitCode = 0;
        try {
            Map<String, Object> report = benchmark.run();
            if (options.json()) {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("cloudrun bench: " + e);
            exitCode = 1;
        }
        System.out.flush();
        // The Docker client's threads must not hold the JVM, whichever way the benchmark ended.
        System.exit(exitCode);
    }

    private Map<String, Object> run() throws IOException {
        Path programs = Path.of(System.getProperty("cloudrun.programs", "examples/programs"));
        Map<String, String> sources = new LinkedHashMap<>();
        for (String language : options.languages()) {
            sources.put(language, Files.readString(programs.resolve(SAMPLES.get(language))));
        }
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, Object> machine = MachineInfo.describe();
        docker = DockerCli.find().orElse(null);
        machine.put("docker", docker == null ? null : docker.version());
        report.put("machine", machine);
        report.put("options", Map.of("backends", backendNames(), "languages", options.languages(), "runs", options.runs(),
                "concurrency", options.concurrency()));
        progress.printf(Locale.ROOT, "%s cores, %s, kernel %s, Docker %s, %s, %s%n", machine.get("cores"),
                mib((Long) machine.get("memoryBytes")), machine.get("kernel"), machine.get("docker") == null ? "-" : machine.get("docker"),
                machine.get("cgroup"), machine.get("date"));
        if (docker == null) {
            notes.put(DOCKER_RUN, "no Docker daemon answers here");
        }
        openBackends();
        try {
            report.put("latency", latency(sources));
            report.put("throughput", throughput());
            report.put("streaming", streaming());
            report.put("memory", memory());
        } finally {
            backends.values().stream().filter(Objects::nonNull).forEach(CodeRunner::close);
        }
        List<Map<String, Object>> targets = Targets.check(report);
        report.put("targets", targets);
        report.put("notes", notes);
        if (!options.json()) {
            TextReport.print(report, progress);
        }
        return report;
    }

    private List<String> backendNames() {
        List<String> names = new ArrayList<>();
        if (options.localBackend()) {
            names.add(LOCAL);
        }
        if (options.dockerBackend()) {
            names.add(RUNC);
            names.add(RUNSC);
        }
        return names;
    }

    private void openBackends() {
        Limits ceiling = Limits.defaultCeiling().withMaxOutputBytes(2 * STREAM_BYTES);
        int slots = Math.max(2, options.concurrency());
        if (options.localBackend()) {
            open(LOCAL, () -> CodeRunner.create(config -> config.backend(BackendKind.LOCAL).maxConcurrentRuns(slots)
                    .maxLimits(ceiling)));
        }
        if (options.dockerBackend()) {
            open(RUNC, () -> dockerRunner(new DockerBackendOptions(), RUNC, slots, ceiling));
            open(RUNSC, () -> dockerRunner(new DockerBackendOptions().runtime("runsc"), RUNSC, slots, ceiling));
        }
    }

    private CodeRunner dockerRunner(DockerBackendOptions backendOptions, String name, int slots, Limits ceiling) {
        DockerSandboxBackend backend = DockerSandboxBackend.create(backendOptions);
        dockerBackends.put(name, backend);
        return CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(slots).maxLimits(ceiling));
    }

    private void open(String name, Supplier<CodeRunner> factory) {
        try {
            backends.put(name, factory.get());
        } catch (BackendUnavailableException e) {
            notes.put(name, e.getMessage());
            progress.printf(Locale.ROOT, "%s: not measured (%s)%n", name, e.getMessage());
        }
    }

    // ---- latency ------------------------------------------------------------------------------

    private List<Map<String, Object>> latency(Map<String, String> sources) {
        List<Map<String, Object>> languages = new ArrayList<>();
        for (Map.Entry<String, String> entry : sources.entrySet()) {
            Language language = registry.require(entry.getKey());
            String fixed = entry.getValue();
            // Each timed run gets a source of its own (a comment with a fresh id), so that no cache can
            // answer it; the "(repeat)" paths of compiled languages run the same source every time.
            Supplier<String> fresh = () -> fixed + "\n" + LINE_COMMENT.getOrDefault(language.id(), "//")
                    + " cloudrun bench " + UUID.randomUUID() + "\n";
            Map<String, Supplier<Long>> paths = new LinkedHashMap<>();
            paths.put(BARE, () -> HostPrograms.compileAndRun(language, fresh.get()));
            if (docker != null && language.image().isPresent()) {
                paths.put(DOCKER_RUN, () -> docker.run(language, fresh.get()));
            }
            backends.forEach((name, runner) -> paths.put(name, () -> sandboxed(runner, RunRequest.of(language.id(), fresh.get()))));
            if (language.isCompiled()) {
                backends.forEach((name, runner) -> paths.put(name + REPEAT, () -> sandboxed(runner, RunRequest.of(language.id(), fixed))));
            }
            progress.printf(Locale.ROOT, "%s: %d runs per path after one warm-up, taking turns...%n", language.id(), options.runs());
            Map<String, Percentiles> timings = interleave(language.id(), paths, options.runs());
            Percentiles bare = timings.get(BARE);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (String path : paths.keySet()) {
                Percentiles figures = timings.get(path);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("path", path);
                row.put("runs", figures == null ? 0 : figures.count());
                row.put("p50Ms", figures == null ? null : round(figures.p50()));
                row.put("p95Ms", figures == null ? null : round(figures.p95()));
                row.put("maxMs", figures == null ? null : round(figures.max()));
                row.put("p50VsBare", figures == null || bare == null ? null : round(Percentiles.ratio(figures.p50(), bare.p50())));
                row.put("p95VsBare", figures == null || bare == null ? null : round(Percentiles.ratio(figures.p95(), bare.p50())));
                rows.add(row);
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("language", language.id());
            result.put("paths", rows);
            languages.add(result);
        }
        return languages;
    }

    /** Every path once per round, in the same order; a path that fails is dropped with a note. */
    private Map<String, Percentiles> interleave(String what, Map<String, Supplier<Long>> paths, int runs) {
        Map<String, List<Double>> millis = new LinkedHashMap<>();
        paths.keySet().forEach(path -> millis.put(path, new ArrayList<>()));
        for (int round = -1; round < runs; round++) {
            for (Map.Entry<String, Supplier<Long>> path : paths.entrySet()) {
                if (!millis.containsKey(path.getKey())) {
                    continue;
                }
                try {
                    long nanos = path.getValue().get();
                    if (round >= 0) {
                        millis.get(path.getKey()).add(nanos / 1e6);
                    }
                } catch (RuntimeException e) {
                    notes.put(path.getKey() + " " + what, String.valueOf(e.getMessage()));
                    progress.printf(Locale.ROOT, "%s %s: not measured (%s)%n", path.getKey(), what, e.getMessage());
                    millis.remove(path.getKey());
                }
            }
        }
        Map<String, Percentiles> result = new LinkedHashMap<>();
        millis.forEach((path, values) -> {
            if (!values.isEmpty()) {
                result.put(path, Percentiles.of(values));
            }
        });
        return result;
    }

    private static long sandboxed(CodeRunner runner, RunRequest request) {
        long start = System.nanoTime();
        RunResult result = runner.run(request);
        if (result.status() != Status.OK) {
            throw new IllegalStateException(result.status() + ": " + result.message());
        }
        return System.nanoTime() - start;
    }

    // ---- throughput ---------------------------------------------------------------------------

    private Map<String, Object> throughput() {
        Language python = registry.require("python");
        String hello = "print(\"Hello from Python\")\n";
        Map<String, Supplier<Long>> paths = new LinkedHashMap<>();
        paths.put(BARE, () -> HostPrograms.compileAndRun(python, hello));
        if (docker != null) {
            paths.put(DOCKER_RUN, () -> docker.run(python, hello));
        }
        backends.forEach((name, runner) -> paths.put(name, () -> sandboxed(runner, RunRequest.of("python", hello))));
        progress.printf(Locale.ROOT, "throughput: python hello world, %d at once, %d windows of %d s per path, taking turns...%n",
                options.concurrency(), THROUGHPUT_ROUNDS, THROUGHPUT_WINDOW.toSeconds());
        Map<String, long[]> totals = new LinkedHashMap<>();
        paths.keySet().forEach(path -> totals.put(path, new long[2]));
        ExecutorService workers = Executors.newFixedThreadPool(options.concurrency());
        try {
            for (int round = 0; round < THROUGHPUT_ROUNDS; round++) {
                for (Map.Entry<String, Supplier<Long>> path : paths.entrySet()) {
                    if (!totals.containsKey(path.getKey())) {
                        continue;
                    }
                    try {
                        long[] window = window(workers, path.getValue());
                        totals.get(path.getKey())[0] += window[0];
                        totals.get(path.getKey())[1] += window[1];
                    } catch (RuntimeException e) {
                        notes.put(path.getKey() + " throughput", String.valueOf(e.getMessage()));
                        progress.printf(Locale.ROOT, "%s throughput: not measured (%s)%n", path.getKey(), e.getMessage());
                        totals.remove(path.getKey());
                    }
                }
            }
        } finally {
            workers.shutdownNow();
        }
        Double dockerRun = totals.containsKey(DOCKER_RUN) ? perSecond(totals.get(DOCKER_RUN)) : null;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String path : paths.keySet()) {
            long[] total = totals.get(path);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", path);
            row.put("runs", total == null ? 0 : total[0]);
            row.put("seconds", total == null ? null : round(total[1] / 1e9));
            row.put("runsPerSecond", total == null ? null : round(perSecond(total)));
            row.put("vsDockerRun", total == null ? null : round(Percentiles.ratio(perSecond(total), dockerRun)));
            rows.add(row);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("language", "python");
        result.put("concurrency", options.concurrency());
        result.put("paths", rows);
        return result;
    }

    /** {@code concurrency} workers run the path until the window closes; returns {runs, nanoseconds}. */
    private long[] window(ExecutorService workers, Supplier<Long> path) {
        long start = System.nanoTime();
        long deadline = start + THROUGHPUT_WINDOW.toNanos();
        AtomicInteger started = new AtomicInteger();
        AtomicLong finished = new AtomicLong();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < options.concurrency(); i++) {
            futures.add(workers.submit(() -> {
                while (failure.get() == null && System.nanoTime() < deadline
                        && started.incrementAndGet() <= THROUGHPUT_MAX_RUNS_PER_WINDOW) {
                    try {
                        path.get();
                        finished.incrementAndGet();
                    } catch (RuntimeException e) {
                        failure.compareAndSet(null, e);
                    }
                }
            }));
        }
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return new long[] {finished.get(), System.nanoTime() - start};
    }

    private static double perSecond(long[] total) {
        return total[1] <= 0 ? 0 : total[0] / (total[1] / 1e9);
    }

    // ---- streaming ----------------------------------------------------------------------------

    private Map<String, Object> streaming() {
        int rounds = Math.min(5, options.runs());
        Map<String, Supplier<Long>> paths = new LinkedHashMap<>();
        paths.put(PIPE, () -> HostPrograms.pipe(List.of("python3", "-u", "-c", STREAM_SOURCE), STREAM_BYTES));
        RunRequest request = RunRequest.of("python", STREAM_SOURCE).withLimits(limits -> limits
                .withMaxOutputBytes(STREAM_BYTES + MIB).withWallTime(Duration.ofSeconds(120)).withCpuTime(Duration.ofSeconds(120)));
        backends.forEach((name, runner) -> paths.put(name, () -> streamed(runner, request, false)));
        // The older listener method, which gets a copy of each chunk: the same run, for comparison.
        backends.forEach((name, runner) -> paths.put(name + COPIES, () -> streamed(runner, request, true)));
        progress.printf(Locale.ROOT, "streaming: %d MiB of stdout, %d rounds, taking turns...%n", STREAM_BYTES / MIB, rounds);
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        paths.keySet().forEach(path -> rates.put(path, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            for (Map.Entry<String, Supplier<Long>> path : paths.entrySet()) {
                if (!rates.containsKey(path.getKey())) {
                    continue;
                }
                try {
                    long nanos = path.getValue().get();
                    rates.get(path.getKey()).add(STREAM_BYTES / (double) MIB / (nanos / 1e9));
                } catch (RuntimeException e) {
                    notes.put(path.getKey() + " streaming", String.valueOf(e.getMessage()));
                    progress.printf(Locale.ROOT, "%s streaming: not measured (%s)%n", path.getKey(), e.getMessage());
                    rates.remove(path.getKey());
                }
            }
        }
        Double pipe = rates.containsKey(PIPE) ? Percentiles.of(rates.get(PIPE)).p50() : null;
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String path : paths.keySet()) {
            Double rate = rates.containsKey(path) && !rates.get(path).isEmpty() ? Percentiles.of(rates.get(path)).p50() : null;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("path", path);
            row.put("runs", rates.containsKey(path) ? rates.get(path).size() : 0);
            row.put("mibPerSecond", round(rate));
            row.put("vsPipe", round(Percentiles.ratio(rate, pipe)));
            rows.add(row);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("bytes", STREAM_BYTES);
        result.put("paths", rows);
        return result;
    }

    /**
     * A run whose stdout an SDK listener consumes as it comes, the fastest public way: a read-only view
     * of each chunk ({@link RunListener#onOutput(StreamKind, ByteBuffer)}), not a copy. The time from
     * submission to result. With {@code copies}, the listener has the older method instead, which gets
     * each chunk as an array of its own.
     */
    private static long streamed(CodeRunner runner, RunRequest request, boolean copies) {
        AtomicLong received = new AtomicLong();
        RunListener counter = copies ? new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) {
                if (stream == StreamKind.STDOUT) {
                    received.addAndGet(chunk.length);
                }
            }
        } : new RunListener() {
            @Override
            public void onOutput(StreamKind stream, ByteBuffer chunk) {
                if (stream == StreamKind.STDOUT) {
                    received.addAndGet(chunk.remaining());
                }
            }
        };
        long start = System.nanoTime();
        RunResult result = runner.run(request, counter);
        long elapsed = System.nanoTime() - start;
        if (result.status() != Status.OK) {
            throw new IllegalStateException(result.status() + ": " + result.message());
        }
        if (received.get() != STREAM_BYTES) {
            throw new IllegalStateException("the listener received " + received.get() + " bytes, not " + STREAM_BYTES);
        }
        return elapsed;
    }

    // ---- memory -------------------------------------------------------------------------------

    private Map<String, Object> memory() {
        progress.printf(Locale.ROOT, "memory: an idle server, idle WebSockets (%d rounds of %d), idle containers...%n",
                ServerMemory.ROUNDS, WEBSOCKETS);
        ServerMemory.Result server = ServerMemory.measure(WEBSOCKETS);
        if (server.note() != null) {
            notes.put("server memory", server.note());
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("idleServerRssBytes", server.idleServerRssBytes());
        result.put("webSockets", server.webSockets());
        result.put("perWebSocketBytes", server.perWebSocketBytes());
        result.put("firstWebSocketsBytes", server.firstWebSocketsBytes());
        result.put("serverJvmOptions", server.jvmOptions());
        Map<String, Long> containers = new LinkedHashMap<>();
        for (String runtime : List.of("runc", "runsc")) {
            Long bytes = null;
            String path = runtime.equals("runc") ? RUNC : RUNSC;
            if (docker == null) {
                notes.put("idle container " + runtime, "no Docker daemon answers here");
            } else if (!backends.containsKey(path) || !dockerBackends.containsKey(path)) {
                notes.put("idle container " + runtime, "the " + path + " backend is not measured");
            } else {
                try {
                    bytes = IdleSandboxMemory.measure(backends.get(path), dockerBackends.get(path)).orElse(null);
                    if (bytes == null) {
                        notes.put("idle container " + runtime, "no pooled sandbox became ready, or its cgroups are not readable here");
                    }
                } catch (RuntimeException e) {
                    notes.put("idle container " + runtime, String.valueOf(e.getMessage()));
                }
            }
            containers.put(runtime, bytes);
        }
        result.put("idleContainerBytes", containers);
        return result;
    }

    // ---- helpers ------------------------------------------------------------------------------

    static Double round(Double value) {
        return value == null ? null : Math.round(value * 100) / 100.0;
    }

    static String mib(Long bytes) {
        return bytes == null ? "-" : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}
