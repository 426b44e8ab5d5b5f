package dev.cloudrun.internal;

import dev.cloudrun.Limits;
import dev.cloudrun.Status;
import dev.cloudrun.spi.StepOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.regex.Pattern;

/**
 * Decides why a step ended, from one ordered list of rules (the first that matches wins), and words
 * the verdict for the kind of step: a program's status, a compiler's failure, an installer's failure.
 */
final class OutcomeClassifier {
    private static final long MIB = 1024L * 1024L;
    private static final int SIGXCPU = 24;
    private static final int SIGKILL = 9;

    /** Why a step ended. */
    enum Cause {
        /** The sandbox itself failed (the backend says why). */
        BACKEND_FAILURE,
        /** The run was cancelled. */
        CANCELLED,
        /** It wrote more than the output cap and was stopped. */
        OUTPUT_LIMIT,
        /** It reached its wall-clock limit. */
        WALL_TIME,
        /** It used up its CPU time (polled, or the kernel's SIGXCPU, or killed at the limit). */
        CPU_TIME,
        /** The kernel's OOM killer stopped it, or the language's runtime said it ran out of memory. */
        MEMORY,
        /** The interpreter said the program's own source does not parse: nothing of it ran. */
        SYNTAX_ERROR,
        /** It exited with code 0. */
        EXITED_OK,
        /** A signal killed it. */
        SIGNALLED,
        /** It exited with another code. */
        EXITED_WITH_ERROR
    }

    /**
     * What the language's runtime writes in these cases.
     *
     * @param memory error output that means it ran out of memory
     * @param syntax error output that means the program's source did not parse
     */
    record Patterns(List<Pattern> memory, List<Pattern> syntax) { }

    /** A rule: when {@code applies}, the step ended because of {@code cause}. */
    private record Rule(Cause cause, BiPredicate<StepReport, Patterns> applies) { }

    private static final List<Rule> RULES = List.of(
            new Rule(Cause.BACKEND_FAILURE, (step, patterns) -> step.outcome().failure() != null),
            new Rule(Cause.CANCELLED, (step, patterns) -> step.cancelled()),
            new Rule(Cause.OUTPUT_LIMIT, (step, patterns) -> step.output().limitHit()),
            new Rule(Cause.WALL_TIME, (step, patterns) -> step.wallTimeout()),
            new Rule(Cause.CPU_TIME, (step, patterns) -> step.cpuTimeout() || step.outcome().signal() == SIGXCPU
                    || (step.outcome().signal() == SIGKILL
                        && step.outcome().cpuTime().compareTo(step.limits().cpuTime()) >= 0)),
            new Rule(Cause.MEMORY, (step, patterns) -> step.outcome().oomKilled()
                    || (step.outcome().exitCode() != 0 && matchesAny(patterns.memory(), step.errorOutput()))),
            new Rule(Cause.SYNTAX_ERROR, (step, patterns) -> step.outcome().exitCode() != 0
                    && matchesAny(patterns.syntax(), step.errorOutput())),
            new Rule(Cause.EXITED_OK, (step, patterns) -> step.outcome().exitCode() == 0),
            new Rule(Cause.SIGNALLED, (step, patterns) -> step.outcome().signal() > 0),
            new Rule(Cause.EXITED_WITH_ERROR, (step, patterns) -> true));

    /** A status and the words that explain it. */
    record Verdict(Status status, String message) { }

    private OutcomeClassifier() { }

    /**
     * @param step what happened
     * @param memoryErrorPatterns stderr lines by which the language's runtime says it ran out of memory
     * @return why the step ended: the cause of the first rule that matches
     */
    static Cause cause(StepReport step, List<Pattern> memoryErrorPatterns) {
        return cause(step, new Patterns(memoryErrorPatterns, List.of()));
    }

    /**
     * @param step what happened
     * @param patterns what the language's runtime writes when out of memory or given a source it cannot parse
     * @return why the step ended: the cause of the first rule that matches
     */
    static Cause cause(StepReport step, Patterns patterns) {
        return RULES.stream().filter(rule -> rule.applies().test(step, patterns)).findFirst().orElseThrow().cause();
    }

    /**
     * The verdict on the program's own run step.
     *
     * @param step what happened
     * @param memoryErrorPatterns the language's out-of-memory messages
     * @return its status and why
     */
    static Verdict program(StepReport step, List<Pattern> memoryErrorPatterns) {
        return program(step, new Patterns(memoryErrorPatterns, List.of()));
    }

    /**
     * The verdict on the program's own run step.
     *
     * @param step what happened
     * @param patterns the language's out-of-memory and syntax-error messages
     * @return its status and why
     */
    static Verdict program(StepReport step, Patterns patterns) {
        Limits limits = step.limits();
        StepOutcome outcome = step.outcome();
        switch (cause(step, patterns)) {
            case BACKEND_FAILURE:
                return new Verdict(Status.INTERNAL_ERROR, outcome.failure());
            case CANCELLED:
                return new Verdict(Status.CANCELLED, "cancelled");
            case OUTPUT_LIMIT:
                return new Verdict(Status.OUTPUT_LIMIT, "wrote more than the output limit of "
                        + limits.maxOutputBytes() + " bytes and was stopped");
            case WALL_TIME:
                return new Verdict(Status.TIME_LIMIT, "exceeded the wall-clock limit of " + describe(limits.wallTime()));
            case CPU_TIME:
                return new Verdict(Status.TIME_LIMIT, "exceeded the CPU time limit of " + describe(limits.cpuTime()));
            case MEMORY:
                return new Verdict(Status.MEMORY_LIMIT, "exceeded the memory limit of " + limits.memoryBytes() / MIB + " MiB");
            case SYNTAX_ERROR:
                return new Verdict(Status.COMPILE_ERROR, "the program has a syntax error: nothing of it ran"
                        + " (the interpreter's message is in its error output)");
            case EXITED_OK:
                return new Verdict(Status.OK, "exited normally");
            case SIGNALLED:
                return new Verdict(Status.RUNTIME_ERROR, "was killed by signal " + outcome.signal()
                        + " (" + Signals.name(outcome.signal()) + ")");
            default:
                return new Verdict(Status.RUNTIME_ERROR, "exited with code " + outcome.exitCode());
        }
    }

    /**
     * The verdict on a compile step.
     *
     * @param step what happened
     * @param compileTime the compile time limit
     * @return empty when it compiled, else the run's status and why
     */
    static Optional<Verdict> compiler(StepReport step, Duration compileTime) {
        StepOutcome outcome = step.outcome();
        switch (cause(step, List.of())) {
            case EXITED_OK:
                return Optional.empty();
            case BACKEND_FAILURE:
                return Optional.of(new Verdict(Status.INTERNAL_ERROR, outcome.failure()));
            case CANCELLED:
                return Optional.of(new Verdict(Status.CANCELLED, "cancelled while compiling"));
            case WALL_TIME:
            case CPU_TIME:
                return Optional.of(new Verdict(Status.TIME_LIMIT, "compilation exceeded the compile time limit of "
                        + describe(compileTime)));
            case MEMORY:
                return Optional.of(new Verdict(Status.MEMORY_LIMIT, "the compiler exceeded the memory limit of "
                        + step.limits().memoryBytes() / MIB + " MiB"));
            case OUTPUT_LIMIT:
                return Optional.of(new Verdict(Status.COMPILE_ERROR, "compilation failed: the compiler wrote more than "
                        + step.limits().maxOutputBytes() + " bytes"));
            default:
                return Optional.of(new Verdict(Status.COMPILE_ERROR, "compilation failed (exit code " + outcome.exitCode() + ")"));
        }
    }

    /**
     * The verdict on an install step.
     *
     * @param step what happened
     * @return empty when it installed, else why it failed
     */
    static Optional<String> installer(StepReport step) {
        StepOutcome outcome = step.outcome();
        switch (cause(step, List.of())) {
            case EXITED_OK:
                return Optional.empty();
            case BACKEND_FAILURE:
                return Optional.of(outcome.failure());
            case CANCELLED:
                return Optional.of("cancelled");
            case WALL_TIME:
            case CPU_TIME:
                return Optional.of("the installer exceeded its time limit of " + describe(step.limits().wallTime()));
            case MEMORY:
                return Optional.of("the installer exceeded its memory limit");
            case OUTPUT_LIMIT:
                return Optional.of("the installer wrote more than " + step.limits().maxOutputBytes() + " bytes");
            default:
                return Optional.of("the installer exited with code " + outcome.exitCode());
        }
    }

    private static boolean matchesAny(List<Pattern> patterns, byte[] stderr) {
        if (patterns.isEmpty() || stderr.length == 0) {
            return false;
        }
        int from = Math.max(0, stderr.length - 16 * 1024);
        String tail = new String(stderr, from, stderr.length - from, StandardCharsets.UTF_8);
        return patterns.stream().anyMatch(pattern -> pattern.matcher(tail).find());
    }

    /** @return a duration in words: {@code 2 s} or {@code 1500 ms} */
    static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }
}
