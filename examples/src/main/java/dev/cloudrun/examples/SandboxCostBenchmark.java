package dev.cloudrun.examples;

import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What each sandbox costs, measured in one run on this machine ({@code ./cloudrun bench}): for each
 * language, the median time of a hello-world run as a bare process on the host (compile and run, as
 * the sandboxes do, in a temporary folder), in the local sandbox, in Docker with {@code runc} and in
 * Docker with gVisor ({@code runsc}, when the daemon has it), each also as a ratio to the bare
 * process, and the cost of gVisor as runsc / runc. A benchmark, not a test: figures depend on the
 * machine and its load. Sandboxes that cannot run here are shown as {@code -}.
 *
 * <pre>
 * java -cp ... dev.cloudrun.examples.SandboxCostBenchmark [RUNS_PER_LANGUAGE] [LANGUAGE...]
 * </pre>
 */
public final class SandboxCostBenchmark {
    private static final long MEMORY_BYTES = 256L * 1024 * 1024;
    private static final Map<String, String> SAMPLES = new LinkedHashMap<>();

    static {
        SAMPLES.put("python", "hello.py");
        SAMPLES.put("javascript", "hello.js");
        SAMPLES.put("java", "Hello.java");
        SAMPLES.put("cpp", "hello.cpp");
        SAMPLES.put("c", "hello.c");
        SAMPLES.put("bash", "hello.sh");
    }

    private SandboxCostBenchmark() { }

    /**
     * Runs the benchmark.
     *
     * @param args runs per language and sandbox (default 5), then the languages (default all six)
     * @throws Exception if the sample programs cannot be read
     */
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> languages = args.length > 1 ? List.of(args).subList(1, args.length) : List.copyOf(SAMPLES.keySet());
        Path programs = Path.of(System.getProperty("cloudrun.programs", "examples/programs"));
        Map<String, String> sources = new LinkedHashMap<>();
        for (String language : languages) {
            String file = SAMPLES.get(language);
            if (file == null) {
                throw new IllegalArgumentException("no sample program for " + language + "; choose from " + SAMPLES.keySet());
            }
            sources.put(language, Files.readString(programs.resolve(file)));
        }
        System.out.printf(Locale.ROOT, "%d processors, %d runs per language and sandbox, taking turns, after one warm-up;"
                + " median ms (× the bare process)%n",
                Runtime.getRuntime().availableProcessors(), runs);

        LanguageRegistry registry = LanguageRegistry.loadDefault();
        Map<String, CodeRunner> runners = new LinkedHashMap<>();
        open(runners, "local", () -> CodeRunner.create(config -> config.backend(BackendKind.LOCAL)));
        open(runners, "docker runc", () -> CodeRunner.create(config -> config.backend(
                DockerSandboxBackend.create(new DockerBackendOptions()))));
        open(runners, "docker runsc", () -> CodeRunner.create(config -> config.backend(
                DockerSandboxBackend.create(new DockerBackendOptions().runtime("runsc")))));
        try {
            System.out.printf(Locale.ROOT, "%-11s %8s %16s %16s %16s %11s%n", "language", "bare", "local", "docker runc",
                    "docker runsc", "runsc/runc");
            for (Map.Entry<String, String> entry : sources.entrySet()) {
                Language language = registry.require(entry.getKey());
                RunRequest request = RunRequest.of(entry.getKey(), entry.getValue());
                // Every way of running takes its turn in each round, so that a change in the machine's load
                // touches them all alike.
                Map<String, Supplier<Long>> ways = new LinkedHashMap<>();
                ways.put("bare", () -> bareRun(language, entry.getValue()));
                runners.forEach((name, runner) -> ways.put(name, runner == null ? null : () -> sandboxedRun(runner, request)));
                Map<String, List<Long>> millis = new LinkedHashMap<>();
                for (int round = -1; round < runs; round++) {
                    for (Map.Entry<String, Supplier<Long>> way : ways.entrySet()) {
                        if (way.getValue() == null || (round >= 0 && !millis.containsKey(way.getKey()))) {
                            continue;
                        }
                        try {
                            long nanos = way.getValue().get();
                            List<Long> times = millis.computeIfAbsent(way.getKey(), key -> new ArrayList<>());
                            if (round >= 0) {
                                times.add(nanos / 1_000_000);
                            }
                        } catch (RuntimeException e) {
                            System.out.printf(Locale.ROOT, "%s %s: not measured (%s)%n", way.getKey(), entry.getKey(),
                                    e.getMessage());
                            millis.remove(way.getKey());
                            way.setValue(null);
                        }
                    }
                }
                long bare = median(millis.get("bare"));
                System.out.printf(Locale.ROOT, "%-11s %8s %16s %16s %16s %11s%n", entry.getKey(), bare < 0 ? "-" : bare,
                        relative(median(millis.get("local")), bare), relative(median(millis.get("docker runc")), bare),
                        relative(median(millis.get("docker runsc")), bare),
                        ratio(median(millis.get("docker runsc")), median(millis.get("docker runc"))));
            }
        } finally {
            runners.values().stream().filter(java.util.Objects::nonNull).forEach(CodeRunner::close);
        }
    }

    private static void open(Map<String, CodeRunner> runners, String name, Supplier<CodeRunner> factory) {
        try {
            runners.put(name, factory.get());
        } catch (BackendUnavailableException e) {
            System.out.printf(Locale.ROOT, "%s: not measured (%s)%n", name, e.getMessage());
            runners.put(name, null);
        }
    }

    private static long sandboxedRun(CodeRunner runner, RunRequest request) {
        long start = System.nanoTime();
        RunResult result = runner.run(request);
        if (result.status() != Status.OK) {
            throw new IllegalStateException(result.status() + ": " + result.message());
        }
        return System.nanoTime() - start;
    }

    private static long bareRun(Language language, String source) {
        Path folder = null;
        try {
            folder = Files.createTempDirectory("cloudrun-bench");
            String mainFile = language.mainFileFor(source);
            Files.writeString(folder.resolve(mainFile), source);
            long start = System.nanoTime();
            if (language.isCompiled()) {
                exec(folder, expand(language.compileCommand(), mainFile));
            }
            exec(folder, expand(language.runCommand(), mainFile));
            return System.nanoTime() - start;
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            if (folder != null) {
                delete(folder);
            }
        }
    }

    private static List<String> expand(List<String> template, String mainFile) {
        String stem = mainFile.contains(".") ? mainFile.substring(0, mainFile.lastIndexOf('.')) : mainFile;
        List<String> command = new ArrayList<>();
        for (String part : template) {
            command.add(part.replace("{file}", mainFile).replace("{stem}", stem)
                    .replace("{memoryBytes}", Long.toString(MEMORY_BYTES))
                    .replace("{memoryMiB}", Long.toString(MEMORY_BYTES / (1024 * 1024))));
        }
        return command;
    }

    /**
     * The program of a command as the sandbox finds it, in the system folders: a shim earlier on this
     * JVM's PATH (pyenv's, say) would time a different, slower start-up than the image's.
     */
    private static List<String> fromSystemFolders(List<String> command) {
        String program = command.get(0);
        if (program.contains("/")) {
            return command;
        }
        for (String folder : List.of("/usr/bin", "/bin")) {
            Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                List<String> resolved = new ArrayList<>(command);
                resolved.set(0, candidate.toString());
                return resolved;
            }
        }
        return command;
    }

    private static void exec(Path folder, List<String> template) throws IOException {
        List<String> command = fromSystemFolders(template);
        Process process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue());
        }
    }

    private static void delete(Path folder) {
        try (var paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // A temporary folder; the system cleans it eventually.
        }
    }

    /** @return the median of the timed runs, or -1 when there are none */
    private static long median(List<Long> millis) {
        if (millis == null || millis.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return sorted.get((sorted.size() - 1) / 2);
    }

    private static String relative(long value, long bare) {
        if (value < 0) {
            return "-";
        }
        return bare <= 0 ? Long.toString(value) : String.format(Locale.ROOT, "%d (%.1f×)", value, (double) value / bare);
    }

    private static String ratio(long numerator, long denominator) {
        return numerator < 0 || denominator <= 0 ? "-"
                : String.format(Locale.ROOT, "%.2f×", (double) numerator / denominator);
    }
}
