package dev.cloudrun.local;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: what a terminal workspace costs on the local backend. Prints the time from
 * {@code openWorkspace} to the shell's first prompt (workspace and terminal opened, the prompt
 * drawn), the keystroke echo round trip (a key written to the terminal until its echo comes back),
 * p50 and p95, and the memory of an idle workspace (its cgroup's usage: processes, page cache and
 * tree), with no terminal and with one shell at its prompt.
 *
 * <p>{@code java -cp ... dev.cloudrun.local.TerminalBenchmark [ROUNDS]} (default 20).
 */
final class TerminalBenchmark {
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final int KEYSTROKES = 200;
    private static final int IDLE_WORKSPACES = 5;

    private TerminalBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        LocalSandboxBackend backend = LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend))) {
            List<Double> promptMillis = new ArrayList<>();
            List<Double> echoMillis = new ArrayList<>();
            for (int round = -2; round < rounds; round++) {
                long start = System.nanoTime();
                try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
                    Screen screen = new Screen();
                    Terminal terminal = workspace.openTerminal(80, 24, screen);
                    screen.waitUntilEndsWith("$ ");
                    double millis = (System.nanoTime() - start) / 1e6;
                    if (round < 0) {
                        continue;
                    }
                    promptMillis.add(millis);
                    if (round < 3) {
                        for (int key = 0; key < KEYSTROKES; key++) {
                            int seen = screen.length();
                            long typed = System.nanoTime();
                            terminal.write(new byte[] {'x'});
                            screen.waitForMore(seen);
                            echoMillis.add((System.nanoTime() - typed) / 1e6);
                            if (key % 50 == 49) {
                                terminal.write(new byte[] {21});
                                Thread.sleep(50);
                            }
                        }
                    }
                }
            }
            System.out.println(String.format(Locale.ROOT, "openWorkspace + openTerminal to first prompt, %d rounds: "
                    + "p50 %.1f ms p95 %.1f ms", rounds, percentile(promptMillis, 50), percentile(promptMillis, 95)));
            System.out.println(String.format(Locale.ROOT, "keystroke echo round trip, %d keys: p50 %.2f ms p95 %.2f ms",
                    echoMillis.size(), percentile(echoMillis, 50), percentile(echoMillis, 95)));

            List<Workspace> idle = new ArrayList<>();
            try {
                for (int i = 0; i < IDLE_WORKSPACES; i++) {
                    idle.add(runner.openWorkspace(WorkspaceSpec.of("python")));
                }
                Thread.sleep(1000);
                double bare = idle.stream().mapToLong(w -> backend.workspaceMemoryBytes(w.id())).average().orElse(0);
                for (Workspace workspace : idle) {
                    Screen screen = new Screen();
                    workspace.openTerminal(80, 24, screen);
                    screen.waitUntilEndsWith("$ ");
                }
                Thread.sleep(2000);
                double withShell = idle.stream().mapToLong(w -> backend.workspaceMemoryBytes(w.id())).average().orElse(0);
                System.out.println(String.format(Locale.ROOT, "memory per idle workspace (cgroup usage, mean of %d): "
                        + "no terminal %.2f MiB, one shell at its prompt %.2f MiB", IDLE_WORKSPACES, bare / (1 << 20),
                        withShell / (1 << 20)));
            } finally {
                idle.forEach(Workspace::close);
            }
        }
    }

    private static double percentile(List<Double> values, int percent) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }

    /** A terminal's output, for waiting on. */
    private static final class Screen implements TerminalListener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void output(byte[] data) {
            text.append(new String(data, StandardCharsets.UTF_8));
            notifyAll();
        }

        synchronized int length() {
            return text.length();
        }

        synchronized void waitUntilEndsWith(String suffix) throws InterruptedException {
            long deadline = System.nanoTime() + PATIENCE_NANOS;
            while (!text.toString().endsWith(suffix)) {
                waitUntil(deadline, "a prompt; the terminal showed: " + text);
            }
        }

        synchronized void waitForMore(int seen) throws InterruptedException {
            long deadline = System.nanoTime() + PATIENCE_NANOS;
            while (text.length() <= seen) {
                waitUntil(deadline, "an echo");
            }
        }

        private void waitUntil(long deadline, String what) throws InterruptedException {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("waited in vain for " + what);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }
}
