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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: what a terminal workspace costs on Docker (issue 16's performance figures), through
 * {@link CodeRunner#openWorkspace}: time to the first prompt for a new workspace (container
 * created and started, then the shell) and for a new terminal in an open workspace; the keystroke
 * echo round trip (one byte typed, until the pty's echo of it arrived at the listener), p50 and
 * p95; and the memory an idle workspace's container is charged (its cgroup), without and with an
 * idle shell.
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
        DockerSandboxBackend backend = DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4).pool(false));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            List<Long> newWorkspace = new ArrayList<>();
            List<Long> newTerminal = new ArrayList<>();
            for (int round = -1; round < rounds; round++) {
                long start = System.nanoTime();
                try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
                    Screen first = new Screen();
                    Terminal terminal = workspace.openTerminal(80, 24, first);
                    first.awaitEnding("$ ");
                    long prompted = System.nanoTime();
                    Screen second = new Screen();
                    long opening = System.nanoTime();
                    Terminal another = workspace.openTerminal(80, 24, second);
                    second.awaitEnding("$ ");
                    long secondPrompt = System.nanoTime();
                    if (round >= 0) {
                        newWorkspace.add(prompted - start);
                        newTerminal.add(secondPrompt - opening);
                    }
                    terminal.close();
                    another.close();
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
                    idle.add(runner.openWorkspace(WorkspaceSpec.of("python")));
                }
                Thread.sleep(2000);
                bare = backend.workspaceMemoryBytes().values().stream().mapToLong(Long::longValue).sum() / idleWorkspaces;
                for (Workspace workspace : idle) {
                    Screen screen = new Screen();
                    workspace.openTerminal(80, 24, screen);
                    screen.awaitEnding("$ ");
                }
                Thread.sleep(2000);
                withShell = backend.workspaceMemoryBytes().values().stream().mapToLong(Long::longValue).sum() / idleWorkspaces;
            } finally {
                idle.forEach(Workspace::close);
            }
            System.out.printf(Locale.ROOT, "docker, python image, %d rounds:%n", rounds);
            System.out.printf(Locale.ROOT, "  new workspace to first prompt: p50 %.1f ms, p95 %.1f ms%n",
                    millis(newWorkspace, 50), millis(newWorkspace, 95));
            System.out.printf(Locale.ROOT, "  new terminal in an open workspace to first prompt: p50 %.1f ms, p95 %.1f ms%n",
                    millis(newTerminal, 50), millis(newTerminal, 95));
            System.out.printf(Locale.ROOT, "  keystroke echo round trip (%d keys): p50 %.2f ms, p95 %.2f ms%n",
                    keystrokes, millis(echoes, 50), millis(echoes, 95));
            System.out.printf(Locale.ROOT, "  memory per idle workspace (%d open, container cgroup): %.1f MiB bare,"
                    + " %.1f MiB with an idle bash%n", idleWorkspaces, bare / 1048576.0, withShell / 1048576.0);
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

        @Override
        public synchronized void output(byte[] data) {
            bytes.writeBytes(data);
            notifyAll();
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
