package dev.cloudrun.examples;

import dev.cloudrun.CellResult;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Interpreter;
import dev.cloudrun.RunListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import java.time.Duration;

/** The README's stateful Python example: cells that share one interpreter, as a notebook agent runs them. */
public final class StatefulPython {
    private StatefulPython() { }

    /**
     * Runs the example.
     *
     * @param runner the runner to open the workspace on
     */
    public static void run(CodeRunner runner) {
        // readme:start
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"));
             Interpreter python = workspace.openInterpreter("python")) {
            Duration limit = Duration.ofSeconds(10);
            python.execute("import statistics\nscores = [3, 5, 8]", limit);
            CellResult mean = python.execute("statistics.mean(scores)", limit);
            System.out.println(mean.value().orElse(""));                 // 5.333333333333333
            CellResult failed = python.execute("scores[7]", limit, RunListener.NONE);
            System.out.println(failed.status() + " " + failed.error().orElse("")); // RUNTIME_ERROR IndexError
            CellResult slow = python.execute("import time; time.sleep(5)", Duration.ofSeconds(1));
            System.out.println(slow.status() + " " + slow.interpreterEnded());     // TIME_LIMIT true
            CellResult fresh = python.execute("print('scores' in dir())", limit);
            System.out.print(fresh.restarted() + " " + fresh.stdout());           // true False
        }
        // readme:end
    }
}
