package dev.cloudrun.docker;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: what a terminal workspace costs on Docker (issue 16's performance figures), through
 * {@link CodeRunner#openWorkspace}: time to the first prompt for a new workspace (container
 * created and started, then the shell) and for a new terminal in an open workspace; the keystroke
 * echo round trip (one byte typed, until the pty's echo of it arrived at the listener), p50 and
 * p95; and the memory an idle workspace's container is charged (its cgroup), without and with an
 * idle shell. The first figure is taken twice, the two ways taking turns in every round: with the
 * workspace pool off (a container created and started for each workspace) and on (a container the
 * {@link WorkspacePool} started ahead), each with a breakdown of where the time goes (the phases
 * {@link DockerSandboxBackend#phase} reports: container created and started, or pooled container
 * taken; exec created and started; the supervisor's pid line; the resize; the first output; the
 * prompt).
 *
 * <p>{@code java -cp ... dev.cloudrun.docker.TerminalBenchmark [ROUNDS] [KEYSTROKES] [WORKSPACES]}
 * (default 10, 300 and 5).
 */
final class TerminalBenchmark {
    private TerminalBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int keystrokes = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        int idleWorkspaces = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        DockerSandboxBackend cold = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4)
                .pool(false).workspacePoolMaxPerProfile(0));
        DockerSandboxBackend pooled = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4)
                .pool(false));
        try (CodeRunner coldRunner = CodeRunner.create(config -> config.backend(cold));
             CodeRunner runner = CodeRunner.create(config -> config.backend(pooled))) {
            Way[] ways = {new Way("workspace pool off", cold, coldRunner), new Way("workspace pool on", pooled, runner)};
            for (int round = -1; round < rounds; round++) {
                for (Way way : ways) {
                    way.round(round >= 0);
                    // The pool refills in the background between a user's opens; give it the time a person would.
                    Thread.sleep(300);
                }
            }
            List<Long> echoes = new ArrayList<>();
            try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
                Screen screen = new Screen();
                Terminal terminal = workspace.openTerminal(80, 24, screen);
                screen.awaitEnding("$ ");
                for (int i = 0; i < keystrokes; i++) {
                    byte key = (byte) ('a' + i % 26);
                    int before = screen.size();
                    long typed = System.nanoTime();
                    terminal.write(new byte[] {key});
                    screen.awaitMoreThan(before);
                    echoes.add(System.nanoTime() - typed);
                    if (i % 60 == 59) {
                        terminal.write(new byte[] {21}); // Ctrl+U: a fresh line for readline
                        screen.awaitQuiet();
                    }
                }
                terminal.close();
            }
            List<Workspace> idle = new ArrayList<>();
            long bare = 0;
            long withShell = 0;
            try {
                for (int i = 0; i < idleWorkspaces; i++) {
                    idle.add(coldRunner.openWorkspace(WorkspaceSpec.of("python")));
                }
                Thread.sleep(2000);
                bare = cold.workspaceMemoryBytes().values().stream().mapToLong(Long::longValue).sum() / idleWorkspaces;
                for (Workspace workspace : idle) {
                    Screen screen = new Screen();
                    workspace.openTerminal(80, 24, screen);
                    screen.awaitEnding("$ ");
                }
                Thread.sleep(2000);
                withShell = cold.workspaceMemoryBytes().values().stream().mapToLong(Long::longValue).sum() / idleWorkspaces;
            } finally {
                idle.forEach(Workspace::close);
            }
            System.out.printf(Locale.ROOT, "docker, python image, %d rounds (the ways take turns):%n", rounds);
            for (Way way : ways) {
                System.out.printf(Locale.ROOT, "  %s: new workspace + terminal to first prompt: p50 %.1f ms, p95 %.1f ms%n",
                        way.name, millis(way.newWorkspace, 50), millis(way.newWorkspace, 95));
                System.out.printf(Locale.ROOT, "    where it goes (each phase since the one before, p50 / p95 ms):%n");
                way.phases.forEach((name, nanos) -> System.out.printf(Locale.ROOT, "      %-24s %3d x  %6.1f  %6.1f%n",
                        name, nanos.size(), millis(nanos, 50), millis(nanos, 95)));
                System.out.printf(Locale.ROOT, "    new terminal in an open workspace to first prompt: p50 %.1f ms, p95 %.1f ms%n",
                        millis(way.newTerminal, 50), millis(way.newTerminal, 95));
            }
            WorkspacePool pool = pooled.workspacePool();
            System.out.printf(Locale.ROOT, "  workspace pool: %d hits, %d misses, %d built%n", pool.hits(), pool.misses(),
                    pool.built());
            System.out.printf(Locale.ROOT, "  keystroke echo round trip (%d keys): p50 %.2f ms, p95 %.2f ms%n",
                    keystrokes, millis(echoes, 50), millis(echoes, 95));
            System.out.printf(Locale.ROOT, "  memory per idle workspace (%d open, container cgroup): %.1f MiB bare,"
                    + " %.1f MiB with an idle bash%n", idleWorkspaces, bare / 1048576.0, withShell / 1048576.0);
        }
    }

    /** One way of opening workspaces, and what its rounds measured. */
    private static final class Way {
        final String name;
        final DockerSandboxBackend backend;
        final CodeRunner runner;
        final List<Long> newWorkspace = new ArrayList<>();
        final List<Long> newTerminal = new ArrayList<>();
        final Map<String, List<Long>> phases = new LinkedHashMap<>();

        Way(String name, DockerSandboxBackend backend, CodeRunner runner) {
            this.name = name;
            this.backend = backend;
            this.runner = runner;
        }

        void round(boolean counted) throws InterruptedException {
            List<Map.Entry<String, Long>> marks = Collections.synchronizedList(new ArrayList<>());
            backend.tracePhases(name -> marks.add(Map.entry(name, System.nanoTime())));
            long start = System.nanoTime();
            try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
                Screen first = new Screen();
                Terminal terminal = workspace.openTerminal(80, 24, first);
                first.awaitEnding("$ ");
                long prompted = System.nanoTime();
                backend.tracePhases(null);
                Screen second = new Screen();
                long opening = System.nanoTime();
                Terminal another = workspace.openTerminal(80, 24, second);
                second.awaitEnding("$ ");
                long secondPrompt = System.nanoTime();
                if (counted) {
                    newWorkspace.add(prompted - start);
                    newTerminal.add(secondPrompt - opening);
                    long previous = start;
                    List<Map.Entry<String, Long>> seen = new ArrayList<>(marks);
                    seen.add(Map.entry("first output", first.firstOutputNanos()));
                    seen.add(Map.entry("prompt", prompted));
                    seen.sort(Map.Entry.comparingByValue());
                    for (Map.Entry<String, Long> mark : seen) {
                        phases.computeIfAbsent(mark.getKey(), key -> new ArrayList<>()).add(mark.getValue() - previous);
                        previous = mark.getValue();
                    }
                }
                terminal.close();
                another.close();
            }
        }
    }

    private static double millis(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int index = Math.min(sorted.size() - 1, (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1);
        return sorted.get(Math.max(0, index)) / 1e6;
    }

    /** A terminal's output. */
    private static final class Screen implements TerminalListener {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private long firstOutputNanos;

        @Override
        public synchronized void output(byte[] data) {
            if (firstOutputNanos == 0) {
                firstOutputNanos = System.nanoTime();
            }
            bytes.writeBytes(data);
            notifyAll();
        }

        synchronized long firstOutputNanos() {
            return firstOutputNanos;
        }

        synchronized int size() {
            return bytes.size();
        }

        synchronized void awaitEnding(String suffix) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!bytes.toString(StandardCharsets.UTF_8).endsWith(suffix)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no prompt; the terminal showed: " + bytes);
                }
                wait(100);
            }
        }

        synchronized void awaitMoreThan(int size) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (bytes.size() <= size) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no echo");
                }
                wait(100);
            }
        }

        synchronized void awaitQuiet() throws InterruptedException {
            int size;
            do {
                size = bytes.size();
                wait(50);
            } while (bytes.size() != size);
        }
    }
}
