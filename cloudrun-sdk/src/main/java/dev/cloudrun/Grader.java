package dev.cloudrun;

import dev.cloudrun.internal.grading.GradingJob;
import java.util.Objects;

/**
 * Judges submissions against a {@link TestSuite}: compiles each submission once, runs every case in
 * a fresh sandbox on the compiled program (no case sees another's files), up to the runner's
 * concurrent slots at a time, checks each output and scores the whole. Immutable and thread-safe:
 * every {@code withX} method returns a copy; share one grader between threads.
 *
 * <pre>{@code
 * try (CodeRunner runner = CodeRunner.create()) {
 *     TestSuite suite = TestSuite.load(Path.of("problems/sum"));
 *     GradeReport report = Grader.create(runner)
 *             .withListener(new GradeListener() {
 *                 public void onCase(CaseReport c) { System.out.println(c); }
 *             })
 *             .grade(RunRequest.of("cpp", source), suite);
 *     System.out.println(report.verdict() + " " + report.score() + "/" + report.maxScore());
 * }
 * }</pre>
 *
 * <p>The submission is a {@link RunRequest}: its language, source, extra files, environment and
 * fairness key are used; its stdin and limits are replaced by each case's. A wrong, crashing or
 * slow submission is a verdict, never an exception.
 *
 * <p>Compiling once needs the language to name its {@link Language#artifacts() artifacts} (the
 * built-in C, C++ and Java do): they are carried out of the compile sandbox as a strictly parsed
 * tar stream and written into each case's sandbox. A compiled language that names none is compiled
 * again in every case's sandbox; interpreted languages just run.
 */
public final class Grader {
    private static final long DEFAULT_MAX_ARTIFACT_BYTES = 64L << 20;

    private final CodeRunner runner;
    private final boolean stopAtFirstFailure;
    private final GradeListener listener;
    private final long maxArtifactBytes;

    private Grader(CodeRunner runner, boolean stopAtFirstFailure, GradeListener listener, long maxArtifactBytes) {
        this.runner = runner;
        this.stopAtFirstFailure = stopAtFirstFailure;
        this.listener = listener;
        this.maxArtifactBytes = maxArtifactBytes;
    }

    /**
     * @param runner the runner whose backend, queue, languages and limits the grading uses (it is not closed here)
     * @return a grader that runs every case and tells no listener
     */
    public static Grader create(CodeRunner runner) {
        return new Grader(Objects.requireNonNull(runner, "runner"), false, GradeListener.NONE, DEFAULT_MAX_ARTIFACT_BYTES);
    }

    /**
     * Stops at the first failing case, as contest judges do: every case after it (in suite order)
     * is {@link Verdict#SKIPPED}, those still running or waiting are cancelled, and the live events
     * come in suite order. Default off: every case runs.
     *
     * @param stop whether to stop
     * @return a copy with that setting
     */
    public Grader withStopAtFirstFailure(boolean stop) {
        return new Grader(runner, stop, listener, maxArtifactBytes);
    }

    /**
     * @param value hears the compile and each case as it is judged
     * @return a copy with that listener
     */
    public Grader withListener(GradeListener value) {
        return new Grader(runner, stopAtFirstFailure, Objects.requireNonNull(value, "listener"), maxArtifactBytes);
    }

    /**
     * @param bytes the most a compiled program may hold (default 64 MiB); larger is an internal error
     * @return a copy with that cap
     */
    public Grader withMaxArtifactBytes(long bytes) {
        if (bytes < 1024) {
            throw new InvalidRequestException("maxArtifactBytes", "must be at least 1024, was " + bytes);
        }
        return new Grader(runner, stopAtFirstFailure, listener, bytes);
    }

    /**
     * Grades a submission and waits for the report.
     *
     * @param submission the language, source and extra files to judge
     * @param suite the cases
     * @return the report: a verdict per case, the score and the compiler's output
     * @throws InvalidRequestException if the suite or submission is invalid, naming the field (nothing runs then)
     * @throws QueueFullException if the runner's queue cannot take the compile or every case; the cases
     *     already queued are cancelled, so grading the submission again later is safe
     * @throws CloudRunException if the runner is closed
     */
    public GradeReport grade(RunRequest submission, TestSuite suite) {
        Objects.requireNonNull(submission, "submission");
        Objects.requireNonNull(suite, "suite");
        GradingJob.Settings settings = new GradingJob.Settings(
                (request, plan) -> runner.start(request, RunListener.NONE, plan), runner.languages(),
                runner.defaultLimits(), runner.maxLimits(), stopAtFirstFailure, maxArtifactBytes, listener);
        return new GradingJob(settings, submission, suite).grade();
    }
}
