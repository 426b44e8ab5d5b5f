package dev.cloudrun.server.compat.piston;

import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CloudRun's result as Piston's stage results: {@code compile} (for compiled languages) and {@code run},
 * each {@code {stdout, stderr, output, code, signal, message, status, cpu_time, wall_time, memory}},
 * with Piston's two-letter statuses ({@code RE}, {@code SG}, {@code TO}, {@code OL}, {@code EL}, {@code XX}).
 */
final class PistonStages {
    private PistonStages() { }

    /**
     * How one stage ended.
     *
     * @param code the exit code, or null when a signal ended it
     * @param signal Piston's signal name, or null
     * @param status the two-letter status, or null for a clean exit
     * @param message a human-readable reason, or null
     */
    record Ending(Integer code, String signal, String status, String message) {
        Map<String, Object> exitMessage(String stage) {
            Map<String, Object> exit = new LinkedHashMap<>();
            exit.put("type", "exit");
            exit.put("stage", stage);
            exit.put("code", code);
            exit.put("signal", signal);
            return exit;
        }
    }

    /**
     * @param result the run's result
     * @param compiled whether the language has a compile stage
     * @param reachedRun whether the program started (the compile stage, if any, succeeded)
     * @return whether the result belongs to the compile stage alone (no run stage happened)
     */
    static boolean endedInCompile(RunResult result, boolean compiled, boolean reachedRun) {
        return compiled && (result.status() == Status.COMPILE_ERROR || !reachedRun && result.status() != Status.OK);
    }

    /** @return how the compile stage ended, for a result that did not get past it */
    static Ending compileFailure(RunResult result) {
        if (result.status() == Status.COMPILE_ERROR) {
            return new Ending(1, null, "RE", "Exited with error status 1");
        }
        return ending(result);
    }

    /** @return how a compile stage that succeeded ended */
    static Ending compileSuccess() {
        return new Ending(0, null, null, null);
    }

    /**
     * @param result the run's result
     * @return how the stage the result describes ended
     */
    static Ending ending(RunResult result) {
        Integer signalNumber = result.signal().orElse(null);
        return switch (result.status()) {
            case OK -> new Ending(result.exitCode(), null, null, null);
            case COMPILE_ERROR -> new Ending(1, null, "RE", "Exited with error status 1");
            case RUNTIME_ERROR -> signalNumber != null
                    ? new Ending(null, signalName(signalNumber), "SG", "Caught fatal signal " + signalNumber)
                    : new Ending(result.exitCode(), null, "RE", "Exited with error status " + result.exitCode());
            case TIME_LIMIT -> new Ending(null, "SIGKILL", "TO", "Time limit exceeded");
            case MEMORY_LIMIT -> new Ending(null, "SIGKILL", "SG", "Memory limit exceeded");
            case OUTPUT_LIMIT -> result.stderrTruncated() && !result.stdoutTruncated()
                    ? new Ending(null, "SIGKILL", "EL", "stderr length exceeded")
                    : new Ending(null, "SIGKILL", "OL", "stdout length exceeded");
            case CANCELLED -> new Ending(null, "SIGKILL", "SG", "Cancelled");
            case INTERNAL_ERROR -> new Ending(null, null, "XX", result.message());
        };
    }

    private static String signalName(int number) {
        String name = PistonSignals.name(number);
        return name == null ? "SIG" + number : name;
    }

    /**
     * The {@code POST /api/v2/execute} answer.
     *
     * @param runtime the runtime that ran
     * @param result the run's result
     * @param reachedRun whether the program started
     * @param output stdout and stderr as they were written, interleaved, or null when unknown
     * @return {@code {compile?, run, language, version}}, where {@code run} repeats {@code compile} when
     *     the compile stage failed (Piston's "backward compatibility")
     */
    static Map<String, Object> response(PistonRuntime runtime, RunResult result, boolean reachedRun, String output) {
        boolean compiled = runtime.cloudRunLanguage().isCompiled();
        Map<String, Object> response = new LinkedHashMap<>();
        if (endedInCompile(result, compiled, reachedRun)) {
            String compilerOutput = result.compilerOutput() == null ? "" : result.compilerOutput();
            Map<String, Object> compile = stage("", compilerOutput, compilerOutput, compileFailure(result), null, null, null);
            response.put("compile", compile);
            response.put("run", compile);
        } else {
            if (compiled) {
                String compilerOutput = result.compilerOutput() == null ? "" : result.compilerOutput();
                response.put("compile", stage("", compilerOutput, compilerOutput, compileSuccess(), null, null, null));
            }
            String stdout = result.stdout();
            String stderr = result.stderr();
            String combined = output != null && output.length() == stdout.length() + stderr.length() ? output : stdout + stderr;
            response.put("run", stage(stdout, stderr, combined, ending(result), result.cpuTime().toMillis(),
                    result.wallTime().toMillis(), result.memoryBytes()));
        }
        response.put("language", runtime.language());
        response.put("version", runtime.version());
        return response;
    }

    private static Map<String, Object> stage(String stdout, String stderr, String output, Ending ending, Long cpuTimeMs,
                                             Long wallTimeMs, Long memoryBytes) {
        Map<String, Object> stage = new LinkedHashMap<>();
        stage.put("stdout", stdout);
        stage.put("stderr", stderr);
        stage.put("output", output);
        stage.put("code", ending.code());
        stage.put("signal", ending.signal());
        stage.put("message", ending.message());
        stage.put("status", ending.status());
        stage.put("cpu_time", cpuTimeMs);
        stage.put("wall_time", wallTimeMs);
        stage.put("memory", memoryBytes);
        return stage;
    }
}
