package dev.cloudrun.local;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Not a test: what a run costs in a terminal workspace against a run in a sandbox of its own, on the
 * local backend (its default options, as the server uses them). Prints p50 and p95 of the time from
 * start to result of a Python program that reads a file of the tree, for
 * {@link Workspace#startFromTree} (alone, and with the entry read from the tree before and the tree
 * listed after, as the server does) and for {@link CodeRunner#start} with the same files.
 *
 * <p>{@code java -cp ... dev.cloudrun.local.WorkspaceRunBenchmark [ROUNDS]} (default 30).
 */
final class WorkspaceRunBenchmark {
    private static final String PROGRAM = "print(open('data.txt').read())\n";

    private WorkspaceRunBenchmark() { }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        LocalSandboxBackend backend = LocalSandboxBackend.create(new LocalSandboxBackend.Options());
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend));
             Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withFiles(Map.of(
                     "main.py", PROGRAM.getBytes(StandardCharsets.UTF_8),
                     "data.txt", "hello".getBytes(StandardCharsets.UTF_8))))) {
            RunRequest inTree = RunRequest.of("python", PROGRAM).withMainFileName("main.py");
            RunRequest own = inTree.withFile("data.txt", "hello");
            List<Double> workspaceMillis = new ArrayList<>();
            List<Double> ownMillis = new ArrayList<>();
            List<Double> serverMillis = new ArrayList<>();
            for (int round = -3; round < rounds; round++) {
                double inWorkspace = time(() -> workspace.startFromTree(inTree, RunListener.NONE).await());
                double inOwn = time(() -> runner.start(own, RunListener.NONE).await());
                // What the server adds around a run in a workspace: the entry read from the tree, the tree listed after.
                double asServer = time(() -> {
                    RunRequest read = RunRequest.of("python", workspace.read("main.py")).withMainFileName("main.py");
                    RunResult result = workspace.startFromTree(read, RunListener.NONE).await();
                    workspace.list();
                    return result;
                });
                if (round >= 0) {
                    workspaceMillis.add(inWorkspace);
                    ownMillis.add(inOwn);
                    serverMillis.add(asServer);
                }
            }
            System.out.println(String.format(Locale.ROOT, "python run, start to result, %d rounds: in the workspace "
                    + "p50 %.1f ms p95 %.1f ms (with the server's read of the entry and listing after: p50 %.1f ms p95 %.1f ms);"
                    + " in a sandbox of its own p50 %.1f ms p95 %.1f ms", rounds,
                    percentile(workspaceMillis, 50), percentile(workspaceMillis, 95), percentile(serverMillis, 50),
                    percentile(serverMillis, 95), percentile(ownMillis, 50), percentile(ownMillis, 95)));
        }
    }

    private interface Run {
        RunResult go();
    }

    private static double time(Run run) {
        long start = System.nanoTime();
        RunResult result = run.go();
        double millis = (System.nanoTime() - start) / 1e6;
        if (result.status() != Status.OK || !result.stdout().equals("hello\n")) {
            throw new IllegalStateException("the run failed: " + result.status() + " " + result.message() + " " + result.stderr());
        }
        return millis;
    }

    private static double percentile(List<Double> values, int percent) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(percent / 100.0 * sorted.size()) - 1));
    }
}
