package dev.cloudrun.langchain4j;

import dev.cloudrun.Limits;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.time.Duration;
import java.util.Locale;

/**
 * Turns a {@link RunResult} into the text a model reads: what happened, in words it can act on, and
 * the program's output capped by {@link OutputCaps}. The limits are the ones the run had, so a
 * limit that was hit is named with its value.
 */
final class ResultText {
    private static final double MIB = 1024.0 * 1024.0;

    private final Limits limits;
    private final OutputCaps caps;

    ResultText(Limits limits, OutputCaps caps) {
        this.limits = limits;
        this.caps = caps;
    }

    /**
     * The engine's answer: stdout alone when the program succeeded, otherwise the explanation
     * followed by the output sections.
     *
     * @param result the run's result
     * @return the text for the model
     */
    String forEngine(RunResult result) {
        if (result.status() == Status.OK) {
            String stdout = result.stdout();
            return stdout.isEmpty() ? "(the program finished without printing anything; print the values you need)"
                    : caps.stdout(stdout) + truncatedNote(result);
        }
        return result.status() + ": " + explain(result) + sections(result);
    }

    /**
     * The tool's answer: status, explanation, exit code, time and memory, then the output sections,
     * whatever the status.
     *
     * @param result the run's result
     * @return the text for the model
     */
    String forTool(RunResult result) {
        StringBuilder text = new StringBuilder();
        text.append("status: ").append(result.status()).append('\n');
        if (result.status() != Status.OK) {
            text.append("what happened: ").append(explain(result)).append('\n');
        }
        text.append("exit code: ").append(result.exitCode()).append('\n');
        text.append(String.format(Locale.ROOT, "time: %s wall clock, %s CPU; memory: %.1f MiB%n",
                seconds(result.wallTime()), seconds(result.cpuTime()), result.memoryBytes() / MIB));
        String stdout = result.stdout().isEmpty() ? "(empty)" : caps.stdout(result.stdout()) + truncatedNote(result);
        text.append("stdout:\n").append(stdout);
        if (!result.stderr().isEmpty()) {
            text.append("\nstderr:\n").append(caps.stderr(result.stderr()));
        }
        if (!result.compilerOutput().isEmpty()) {
            text.append("\ncompiler output:\n").append(caps.stderr(result.compilerOutput()));
        }
        return text.toString();
    }

    /**
     * Why the run ended as it did: one rule per status, in words a model can act on. The runner's own
     * sentence ({@link RunResult#message()}, such as "exceeded the CPU time limit of 2 s") says which
     * time or memory limit was hit when it has one; the configured limits stand in when it does not.
     *
     * @param result the run's result
     * @return one or two sentences
     */
    String explain(RunResult result) {
        String fact = result.message() == null ? "" : result.message().strip();
        switch (result.status()) {
            case OK:
                return "the program ran and exited with code 0.";
            case COMPILE_ERROR:
                return "the code did not compile (or, for an interpreted language, did not parse), so none of it ran."
                        + " Fix the error shown below and try again.";
            case RUNTIME_ERROR:
                return result.signal().isPresent()
                        ? "the program " + (fact.startsWith("was killed") ? fact : "was killed by signal " + result.signal().get())
                                + " (it crashed)."
                        : "the program exited with code " + result.exitCode() + "; its error output is below.";
            case TIME_LIMIT:
                return "the program was stopped: " + (fact.isEmpty() ? "it ran longer than its time limit ("
                        + seconds(limits.wallTime()) + " wall clock, " + seconds(limits.cpuTime()) + " CPU)" : fact)
                        + ". Make it faster, or do less work in one run.";
            case MEMORY_LIMIT:
                return "the program was stopped: " + (fact.isEmpty() ? "it used more than its memory limit of "
                        + Math.round(limits.memoryBytes() / MIB) + " MiB" : fact)
                        + ". Use less memory (smaller data, streaming instead of loading everything).";
            case OUTPUT_LIMIT:
                return "the program was stopped: it wrote more than its output limit of " + limits.maxOutputBytes()
                        + " bytes. Print less, for example a summary.";
            case CANCELLED:
                return "the run was cancelled before it finished.";
            case INTERNAL_ERROR:
            default:
                return "the sandbox failed to run the code, which is not a problem of the code"
                        + (fact.isEmpty() ? "" : " (" + fact + ")") + ". Try again later.";
        }
    }

    private String sections(RunResult result) {
        StringBuilder text = new StringBuilder();
        if (!result.stdout().isEmpty()) {
            text.append("\nstdout:\n").append(caps.stdout(result.stdout())).append(truncatedNote(result));
        }
        if (!result.stderr().isEmpty()) {
            text.append("\nstderr:\n").append(caps.stderr(result.stderr()));
        }
        if (!result.compilerOutput().isEmpty()) {
            text.append("\ncompiler output:\n").append(caps.stderr(result.compilerOutput()));
        }
        return text.toString();
    }

    private static String truncatedNote(RunResult result) {
        return result.stdoutTruncated() ? "\n[stdout was cut at the output limit]" : "";
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toMillis() / 1000.0).replace(".00 s", " s");
    }
}
