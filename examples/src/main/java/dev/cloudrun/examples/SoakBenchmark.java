package dev.cloudrun.examples;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.local.LocalSandboxBackend;
import dev.cloudrun.spi.SandboxBackend;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A soak: thousands of mixed runs (every built-in language, every status, interactive stdin, random
 * cancels) at a fixed concurrency on one backend, then a count of everything a run could leave
 * behind, before and after, printed as a table. Exits 1 if anything leaked or a run hung, 2 if a
 * run ended with a status it should not have. A benchmark, not a test: it takes minutes.
 *
 * <pre>
 * java -cp ... dev.cloudrun.examples.SoakBenchmark local|docker [RUNS=2000] [CONCURRENCY=8]
 * </pre>
 *
 * <p>What it counts is this JVM's own (the machine may be running other CloudRun processes):
 * containers and volumes whose owner label names this JVM, processes in this JVM's sandboxes
 * (children, or in its cgroups), its cgroups, mounts and temporary folders, its threads and open
 * file descriptors, and its heap after a full GC.
 */
public final class SoakBenchmark {
    /** How long a run may take before it counts as hung: every case has a limit far below this. */
    private static final Duration HUNG = Duration.ofSeconds(120);
    /** After the runs, how long threads, fds and sandboxes get to go back to the baseline. */
    private static final Duration SETTLE = Duration.ofSeconds(90);
    /** Heap growth (after GC) that counts as a leak. */
    private static final long HEAP_SLACK_BYTES = 32L << 20;

    private static final String FDS = "open fds but sockets";
    /** Sockets: idle connections to the Docker daemon stay pooled (up to its client's pool size) while the runner is open. */
    private static final String SOCKETS = "open sockets";

    private final String backendName;
    private Map<String, Long> fdsBefore = Map.of();
    /** The most sockets the backend may keep open between runs: the Docker client's pool (see DockerSandboxBackend). */
    private long socketPool;
    private Map<String, Long> fdsAfter = Map.of();
    private final long pid = ProcessHandle.current().pid();

    private SoakBenchmark(String backendName) {
        this.backendName = backendName;
    }

    /** One kind of run: what to run and how it must end. */
    private record Case(String name, Status expected, Supplier<RunRequest> request, List<String> stdinLines) { }

    /**
     * Runs the soak.
     *
     * @param args backend ({@code local} or {@code docker}), number of runs (2000), concurrency (8)
     * @throws Exception if the soak cannot run
     */
    public static void main(String[] args) throws Exception {
        String backend = args.length > 0 ? args[0].toLowerCase(Locale.ROOT) : "local";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        System.exit(new SoakBenchmark(backend).soak(runs, concurrency));
    }

    private int soak(int runs, int concurrency) throws Exception {
        socketPool = backendName.equals("docker") ? Math.max(8, concurrency * 3 + 4) + 2 : 0;
        SandboxBackend backend = switch (backendName) {
            case "local" -> LocalSandboxBackend.create();
            case "docker" -> DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(concurrency));
            default -> throw new IllegalArgumentException("backend must be local or docker, not " + backendName);
        };
        List<Case> cases = cases();
        Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
        Map<Status, LongAdder> statuses = new EnumMap<>(Status.class);
        for (Status status : Status.values()) {
            statuses.put(status, new LongAdder());
        }
        List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger hung = new AtomicInteger();
        AtomicInteger randomCancels = new AtomicInteger();
        Map<String, Long> before;
        Map<String, Long> after;
        long started;
        long elapsedMillis;
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(concurrency)
                .maxQueuedRuns(Math.max(100, concurrency * 4)))) {
            System.out.printf(Locale.ROOT, "soak: backend %s, %d runs, concurrency %d, %d processors, %d cases%n",
                    runner.backendName(), runs, concurrency, Runtime.getRuntime().availableProcessors(), cases.size());
            // Warm-up at full concurrency, twice through every case, so that class loading, thread pools and the
            // daemon connection pool are in the baseline rather than counted as leaks.
            ExecutorService warmUp = Executors.newFixedThreadPool(concurrency);
            List<java.util.concurrent.Future<RunResult>> warming = new ArrayList<>();
            for (int i = 0; i < 2 * cases.size(); i++) {
                Case warm = cases.get(i % cases.size());
                warming.add(warmUp.submit(() -> runOne(runner, warm, false, null)));
            }
            for (int i = 0; i < warming.size(); i++) {
                Case warm = cases.get(i % cases.size());
                RunResult result = warming.get(i).get();
                if (result == null || result.status() != warm.expected()) {
                    System.out.printf(Locale.ROOT, "warm-up: %s ended %s, expected %s%n", warm.name(),
                            result == null ? "hung" : abbreviate(result.toString()), warm.expected());
                }
            }
            warmUp.shutdown();
            fdsBefore = fdKinds();
            before = settledCounts(null);

            started = System.nanoTime();
            ExecutorService clients = Executors.newFixedThreadPool(concurrency);
            ScheduledExecutorService cancels = Executors.newSingleThreadScheduledExecutor();
            AtomicInteger done = new AtomicInteger();
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                Case chosen = cases.get(i % cases.size());
                boolean cancelAtRandom = ThreadLocalRandom.current().nextInt(100) < 5;
                futures.add(clients.submit(() -> {
                    if (cancelAtRandom) {
                        randomCancels.incrementAndGet();
                    }
                    RunResult result;
                    try {
                        result = runOne(runner, chosen, cancelAtRandom, cancels);
                    } catch (RuntimeException e) {
                        wrong.add(chosen.name() + ": threw " + e);
                        return;
                    }
                    if (result == null) {
                        hung.incrementAndGet();
                        return;
                    }
                    statuses.get(result.status()).increment();
                    outcomes.computeIfAbsent(chosen.name() + " -> " + result.status(), key -> new LongAdder()).increment();
                    boolean fine = result.status() == chosen.expected()
                            || (cancelAtRandom && result.status() == Status.CANCELLED);
                    if (!fine) {
                        wrong.add(chosen.name() + (cancelAtRandom ? " (cancelled at random)" : "") + ": " + result.status()
                                + " instead of " + chosen.expected() + ": " + abbreviate(result.toString()));
                    }
                    int finished = done.incrementAndGet();
                    if (finished % 250 == 0) {
                        System.out.printf(Locale.ROOT, "  %d/%d runs, %.0f s%n", finished, runs,
                                (System.nanoTime() - started) / 1e9);
                    }
                }));
            }
            for (java.util.concurrent.Future<?> future : futures) {
                future.get();
            }
            elapsedMillis = (System.nanoTime() - started) / 1_000_000;
            clients.shutdown();
            cancels.shutdownNow();
            clients.awaitTermination(10, TimeUnit.SECONDS);
            after = settledCounts(before);
            fdsAfter = fdKinds();
        }
        Map<String, Long> closed = settledCounts(null);

        System.out.printf(Locale.ROOT, "%n%d runs in %.1f s (%.1f runs/s), %d cancelled at random%n", runs,
                elapsedMillis / 1000.0, runs * 1000.0 / elapsedMillis, randomCancels.get());
        System.out.println("statuses: " + statuses.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().sum())
                .reduce((a, b) -> a + " " + b).orElse(""));
        outcomes.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-40s %6d%n", e.getKey(), e.getValue().sum()));
        System.out.printf(Locale.ROOT, "%n%-34s %14s %14s %14s  %s%n", "left behind", "before", "after", "after close", "");
        List<String> leaks = new ArrayList<>();
        for (String key : before.keySet()) {
            long was = before.get(key);
            long is = after.get(key);
            boolean leaked = key.startsWith("heap") ? is > was + HEAP_SLACK_BYTES
                    : key.equals(SOCKETS) ? is > Math.max(was, socketPool) || closed.get(key) > was : is > was;
            if (leaked) {
                leaks.add(key);
            }
            System.out.printf(Locale.ROOT, "%-34s %14s %14s %14s  %s%n", key, show(key, was), show(key, is),
                    show(key, closed.get(key)), leaked ? "LEAK" : "ok");
        }
        if (hung.get() > 0) {
            System.out.println(hung.get() + " run(s) did not end within " + HUNG.toSeconds() + " s");
        }
        if (after.get(FDS) > before.get(FDS) || after.get(SOCKETS) > before.get(SOCKETS)) {
            System.out.println("open fds by kind, before: " + fdsBefore + "; after: " + fdsAfter);
        }
        wrong.stream().limit(20).forEach(line -> System.out.println("wrong status: " + line));
        if (!leaks.isEmpty() || hung.get() > 0) {
            System.out.println("FAILED: leaked " + leaks + (hung.get() > 0 ? ", " + hung.get() + " hung" : ""));
            return 1;
        }
        if (!wrong.isEmpty()) {
            System.out.println("FAILED: " + wrong.size() + " run(s) ended with the wrong status");
            return 2;
        }
        System.out.println("nothing leaked");
        return 0;
    }

    /** Runs one case; returns null if it did not end in time (then it is cancelled). */
    private static RunResult runOne(CodeRunner runner, Case chosen, boolean cancelAtRandom, ScheduledExecutorService cancels) {
        StringBuilder output = new StringBuilder();
        List<String> lines = chosen.stdinLines();
        boolean cancelOnOutput = chosen.expected() == Status.CANCELLED;
        AtomicInteger fed = new AtomicInteger();
        Execution[] holder = new Execution[1];
        Runnable react = () -> {
            Execution execution = holder[0];
            if (execution == null) {
                return; // start() has not returned yet: it reacts to what came so far once it has
            }
            if (cancelOnOutput && output.length() > 0) {
                execution.cancel();
            }
            // Interactive: answer each prompt ("?" at the end of what was printed) with the next line.
            while (fed.get() < lines.size() && countPrompts(output) > fed.get()) {
                execution.writeStdin(lines.get(fed.getAndIncrement()) + "\n");
                if (fed.get() == lines.size()) {
                    execution.closeStdin();
                }
            }
        };
        RunListener listener = new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                if (stream == StreamKind.STDOUT) {
                    synchronized (output) {
                        output.append(text);
                        react.run();
                    }
                }
            }
        };
        try (Execution execution = runner.start(chosen.request().get(), listener)) {
            synchronized (output) {
                holder[0] = execution;
                react.run();
            }
            if (cancelAtRandom) {
                cancels.schedule(execution::cancel, ThreadLocalRandom.current().nextInt(1500), TimeUnit.MILLISECONDS);
            }
            return execution.await(HUNG).orElse(null);
        }
    }

    private static long countPrompts(CharSequence text) {
        return text.chars().filter(c -> c == '?').count();
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        cases.add(plain("python ok", Status.OK, () -> RunRequest.of("python", "print(sum(range(10**5)))")));
        cases.add(plain("python stdin", Status.OK, () -> RunRequest.of("python",
                "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))").withStdin("1 2 3 4\n")));
        cases.add(new Case("python interactive", Status.OK, () -> RunRequest.of("python",
                "name = input('name?')\nn = int(input('number?'))\nprint('hello', name, n * 2)").withInteractiveStdin(),
                List.of("soak", "21")));
        cases.add(plain("python runtime error", Status.RUNTIME_ERROR, () -> RunRequest.of("python", "print(1 // 0)")));
        cases.add(plain("python memory limit", Status.MEMORY_LIMIT, () -> RunRequest.of("python",
                "held = []\nwhile True:\n    held.append(bytearray(8 << 20))\n    held[-1][::4096] = b'x' * (1 << 11)")
                .withLimits(limits -> limits.withMemoryBytes(64L << 20))));
        cases.add(plain("python output limit", Status.OUTPUT_LIMIT, () -> RunRequest.of("python",
                "while True:\n    print('y' * 1000)").withLimits(limits -> limits.withMaxOutputBytes(64 * 1024))));
        cases.add(plain("python time limit (cpu)", Status.TIME_LIMIT, () -> RunRequest.of("python", "while True: pass")
                .withLimits(limits -> limits.withCpuTime(Duration.ofMillis(500)).withWallTime(Duration.ofSeconds(2)))));
        cases.add(cancelled("python cancelled", RunRequest.of("python", "import time\nprint('up', flush=True)\ntime.sleep(60)")));
        cases.add(plain("javascript ok", Status.OK, () -> RunRequest.of("javascript", "console.log([1, 2, 3].map(x => x * 2))")));
        cases.add(plain("javascript runtime error", Status.RUNTIME_ERROR, () -> RunRequest.of("javascript",
                "throw new Error('soak')")));
        cases.add(new Case("javascript interactive", Status.OK, () -> RunRequest.of("javascript",
                "const rl = require('readline').createInterface({input: process.stdin});\n"
                        + "process.stdout.write('line?');\nrl.on('line', l => { console.log(l.toUpperCase()); rl.close(); });")
                .withInteractiveStdin(), List.of("soak")));
        cases.add(plain("java ok", Status.OK, () -> RunRequest.of("java",
                "public class Main { public static void main(String[] a) { System.out.println(\"soak\"); } }")));
        cases.add(plain("java compile error", Status.COMPILE_ERROR, () -> RunRequest.of("java",
                "public class Main { public static void main(String[] a) { int x = \"no\"; } }")));
        cases.add(plain("cpp ok", Status.OK, () -> RunRequest.of("cpp",
                "#include <iostream>\nint main() { std::cout << \"soak\" << std::endl; }")));
        cases.add(plain("cpp compile error", Status.COMPILE_ERROR, () -> RunRequest.of("cpp", "int main() { return x; }")));
        cases.add(plain("c ok", Status.OK, () -> RunRequest.of("c", "#include <stdio.h>\nint main(void) { puts(\"soak\"); }")));
        cases.add(plain("c compile error", Status.COMPILE_ERROR, () -> RunRequest.of("c", "int main(void) { return ; }}")));
        cases.add(plain("c runtime error", Status.RUNTIME_ERROR, () -> RunRequest.of("c",
                "int main(void) { volatile int *p = 0; return *p; }")));
        cases.add(plain("bash ok", Status.OK, () -> RunRequest.of("bash", "echo soak; for i in 1 2 3; do echo $i; done")));
        cases.add(plain("bash stdin", Status.OK, () -> RunRequest.of("bash", "read a; echo \"got $a\"").withStdin("x\n")));
        cases.add(plain("bash runtime error", Status.RUNTIME_ERROR, () -> RunRequest.of("bash", "exit 3")));
        cases.add(plain("bash time limit (wall)", Status.TIME_LIMIT, () -> RunRequest.of("bash", "sleep 30")
                .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(1)))));
        cases.add(plain("bash output limit", Status.OUTPUT_LIMIT, () -> RunRequest.of("bash", "yes soak")
                .withLimits(limits -> limits.withMaxOutputBytes(64 * 1024))));
        cases.add(cancelled("bash cancelled", RunRequest.of("bash", "echo up; sleep 60 & sleep 60; wait")));
        return cases;
    }

    private static Case plain(String name, Status expected, Supplier<RunRequest> request) {
        return new Case(name, expected, request, List.of());
    }

    /** A run that prints a line then waits: cancelled as soon as its first output arrives. */
    private static Case cancelled(String name, RunRequest request) {
        return new Case(name, Status.CANCELLED, () -> request.withLimits(limits -> limits.withWallTime(Duration.ofSeconds(20))),
                List.of());
    }

    // ---- counting what is left ----

    /** Counts, waiting up to {@link #SETTLE} for each count to come back to {@code baseline} (if given). */
    private Map<String, Long> settledCounts(Map<String, Long> baseline) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        Map<String, Long> counts = counts();
        while (baseline != null && System.nanoTime() < deadline && !settled(counts, baseline)) {
            Thread.sleep(500); // waiting for idle pool threads to expire (60 s) and clean-ups to finish
            counts = counts();
        }
        return counts;
    }

    private boolean settled(Map<String, Long> counts, Map<String, Long> baseline) {
        return counts.entrySet().stream().allMatch(e -> e.getKey().startsWith("heap")
                ? e.getValue() <= baseline.get(e.getKey()) + HEAP_SLACK_BYTES
                : e.getKey().equals(SOCKETS) ? e.getValue() <= Math.max(baseline.get(e.getKey()), socketPool)
                : e.getValue() <= baseline.get(e.getKey()));
    }

    private Map<String, Long> counts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        String instance = "cloudrun-" + pid + "-";
        String dockerParent = "cloudrun.docker/" + pid + "-";
        counts.put("containers (CloudRun labels)", dockerCount("ps", "-a"));
        counts.put("volumes (CloudRun labels)", dockerCount("volume", "ls"));
        List<ProcessHandle> descendants = ProcessHandle.current().descendants().toList();
        counts.put("sandbox processes", ProcessHandle.allProcesses().filter(process -> {
            if (descendants.contains(process)) {
                return true;
            }
            try {
                String cgroup = Files.readString(Path.of("/proc/" + process.pid() + "/cgroup"));
                return cgroup.contains("/" + instance) || cgroup.contains(dockerParent);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }).count());
        counts.put("cgroups", countCgroups(instance, pid + "-"));
        counts.put("mounts", lines(Path.of("/proc/mounts")).stream()
                .filter(line -> line.contains(instance) || line.contains("docker-workspaces/" + pid + "-")).count());
        counts.put("temp folders and files", countTemp(instance));
        counts.put("JVM threads", (long) ManagementFactory.getThreadMXBean().getThreadCount());
        Map<String, Long> kinds = fdKinds();
        long sockets = kinds.getOrDefault("socket", 0L);
        counts.put(FDS, kinds.values().stream().mapToLong(Long::longValue).sum() - sockets);
        counts.put(SOCKETS, sockets);
        counts.put("heap after GC (bytes)", heapAfterGc());
        return counts;
    }

    private long dockerCount(String... list) {
        if (!backendName.equals("docker")) {
            return 0;
        }
        List<String> command = new ArrayList<>(List.of("docker"));
        command.addAll(List.of(list));
        command.addAll(List.of("--filter", "label=" + DockerSandboxBackend.LABEL_BACKEND + "=docker",
                "--format", "{{.Label \"" + DockerSandboxBackend.LABEL_OWNER + "\"}}"));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(60, TimeUnit.SECONDS);
            return output.lines().filter(owner -> owner.contains("/" + pid + "/")).count();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static long countCgroups(String instance, String dockerPrefix) {
        long count = 0;
        for (Path controller : list(Path.of("/sys/fs/cgroup"))) {
            try (Stream<Path> dirs = Files.walk(controller, 4)) {
                count += dirs.filter(Files::isDirectory).filter(dir -> {
                    String name = dir.getFileName().toString();
                    return name.startsWith(instance) || dir.toString().contains("/" + instance)
                            || (dir.getParent() != null && dir.getParent().getFileName().toString().equals("cloudrun.docker")
                            && name.startsWith(dockerPrefix));
                }).count();
            } catch (IOException | RuntimeException e) {
                // A controller that vanished or cannot be walked.
            }
        }
        return count;
    }

    private long countTemp(String instance) {
        long count = 0;
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        for (Path base : list(tmp)) {
            if (base.getFileName().toString().startsWith("cloudrun-sandboxes-")) {
                for (Path own : list(base)) {
                    if (own.getFileName().toString().startsWith(instance)) {
                        // The instance folder itself and its seccomp program stay while the backend is open.
                        count += list(own).stream().filter(entry -> !entry.getFileName().toString().equals("seccomp.bpf")).count();
                    }
                }
            }
            if (base.getFileName().toString().startsWith("cloudrun-packages-")) {
                count += list(base).stream().filter(entry -> entry.getFileName().toString().contains("run-")).count();
            }
        }
        count += list(Path.of("/var/lib/cloudrun/docker-workspaces")).stream()
                .filter(entry -> entry.getFileName().toString().startsWith(pid + "-")).count();
        return count;
    }

    /** Open file descriptors by what they are: sockets, pipes, event polls, or the folder of the file. */
    private static Map<String, Long> fdKinds() {
        Map<String, Long> kinds = new java.util.TreeMap<>();
        for (Path fd : list(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                String kind = target.contains(":[") ? target.substring(0, target.indexOf(":["))
                        : target.startsWith("anon_inode:") ? target
                        : Path.of(target).getParent() == null ? target : Path.of(target).getParent().toString();
                kinds.merge(kind, 1L, Long::sum);
            } catch (IOException | RuntimeException e) {
                // Closed while listed (the listing's own descriptor, for one).
            }
        }
        return kinds;
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String show(String key, long value) {
        return key.startsWith("heap") ? String.format(Locale.ROOT, "%.1f MiB", value / 1048576.0) : Long.toString(value);
    }

    private static String abbreviate(String text) {
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
