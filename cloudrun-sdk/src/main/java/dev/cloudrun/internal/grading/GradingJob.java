package dev.cloudrun.internal.grading;

import dev.cloudrun.CaseReport;
import dev.cloudrun.CheckResult;
import dev.cloudrun.Checker;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.GradeListener;
import dev.cloudrun.GradeReport;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestGroup;
import dev.cloudrun.TestSuite;
import dev.cloudrun.Verdict;
import dev.cloudrun.internal.CollectedFiles;
import dev.cloudrun.internal.RunPlan;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Grades one submission: compiles it (and a checker program) once, starts every case at once in a
 * fresh sandbox on the compiled artefacts (the runner's queue runs them as slots free up), judges
 * each as it finishes, and assembles the report.
 */
public final class GradingJob {
    private static final Logger LOG = LoggerFactory.getLogger(GradingJob.class);
    /** How much of a program's output a report keeps. */
    private static final int REPORTED_CHARS = 4096;
    private static final int MESSAGE_CHARS = 1000;

    /** Starts runs shaped by a plan on the runner (the runner's own entry point is not public). */
    @FunctionalInterface
    public interface PlannedRuns {
        /**
         * @param request what to run
         * @param plan how
         * @return the queued execution
         */
        Execution start(RunRequest request, RunPlan plan);
    }

    /**
     * What the grading is given.
     *
     * @param runs how to start runs
     * @param languages the runner's languages
     * @param defaults the runner's default limits
     * @param ceiling the runner's largest limits
     * @param stopAtFirstFailure whether to skip the cases after the first failing one
     * @param maxArtifactBytes the most a compiled program may hold
     * @param listener hears the compile and each case
     */
    public record Settings(PlannedRuns runs, LanguageRegistry languages, Limits defaults, Limits ceiling,
                           boolean stopAtFirstFailure, long maxArtifactBytes, GradeListener listener) { }

    private final Settings settings;
    private final RunRequest submission;
    private final TestSuite suite;
    private final List<TestCase> cases;
    private final Map<String, TestGroup> groupOf = new HashMap<>();

    private final Object lock = new Object();
    private final CaseReport[] reports;
    private final double[] fractions;
    private final Execution[] executions;
    private int firstFailure = Integer.MAX_VALUE;
    private int nextToAnnounce;

    /**
     * @param settings the runner and options
     * @param submission the submission: language, source, files (its stdin and limits are replaced per case)
     * @param suite the cases
     */
    public GradingJob(Settings settings, RunRequest submission, TestSuite suite) {
        this.settings = settings;
        this.submission = submission;
        this.suite = suite;
        this.cases = suite.cases();
        this.reports = new CaseReport[cases.size()];
        this.fractions = new double[cases.size()];
        this.executions = new Execution[cases.size()];
        for (TestGroup group : suite.groups()) {
            group.cases().forEach(name -> groupOf.put(name, group));
        }
    }

    /** A compile's outcome: the compile run (null when nothing was compiled) and what it carried out. */
    private record Build(RunResult result, CollectedFiles artifacts) {
        static final Build NOT_NEEDED = new Build(null, null);

        String compilerOutput() {
            return result == null ? "" : result.compilerOutput();
        }

        /** @return why the build cannot be used, or null */
        String failure() {
            if (result == null) {
                return null;
            }
            if (result.status() != Status.OK) {
                return result.message();
            }
            return artifacts == null || artifacts.problem() != null
                    ? "the compiled program could not be carried out of the sandbox: "
                    + (artifacts == null ? "nothing collected" : artifacts.problem())
                    : null;
        }
    }

    /**
     * Runs the grading to its end.
     *
     * @return the report
     * @throws InvalidRequestException if the suite or the submission is invalid (nothing runs then)
     * @throws QueueFullException if the runner's queue cannot take every case (those queued are cancelled)
     */
    public GradeReport grade() {
        suite.validate();
        Language language = settings.languages().require(submission.language());
        Limits suiteLimits = suite.limits(settings.defaults());
        suiteLimits.validateAgainst(settings.ceiling());
        Limits checkerLimits = suite.checkerLimits(settings.defaults());
        Checker checker = suite.checker();
        ProgramChecker checkerProgram = checker instanceof ProgramChecker program ? program : null;
        Language checkerLanguage = null;
        if (checkerProgram != null) {
            try {
                checkerLanguage = settings.languages().require(checkerProgram.language());
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException("checker.language", e.getMessage());
            }
            checkerLimits.validateAgainst(settings.ceiling());
        }
        List<RunRequest> requests = new ArrayList<>();
        for (TestCase testCase : cases) {
            requests.add(caseRequest(testCase, suiteLimits));
        }

        // Judging (a Java checker, the next step of a case) runs on the caller's thread, which waits
        // anyway: no thread per grading besides it, and a slow checker never holds a runner slot.
        BlockingQueue<Runnable> judgements = new LinkedBlockingQueue<>();
        Executor judges = judgements::add;
        try {
            CompletableFuture<Build> checkerBuild = checkerProgram == null
                    ? CompletableFuture.completedFuture(Build.NOT_NEEDED)
                    : build(RunRequest.of(checkerProgram.language(), checkerProgram.source()).withLimits(checkerLimits),
                            checkerLanguage);
            Build program = build(submission.withLimits(suiteLimits), language).get();
            Build checkerBuilt = checkerBuild.get();
            String compileFailure = program.failure();
            announceCompiled(compileFailure == null, program.compilerOutput());
            if (checkerBuilt.failure() != null) {
                String message = "the checker did not compile: " + checkerBuilt.failure() + "\n" + checkerBuilt.compilerOutput();
                notRun(Verdict.CHECKER_ERROR, cap(message.strip(), MESSAGE_CHARS));
                return finish(program.compilerOutput(), message);
            }
            if (compileFailure != null) {
                Verdict verdict = program.result().status() == Status.INTERNAL_ERROR
                        || program.result().status() == Status.CANCELLED || program.result().status() == Status.OK
                        ? Verdict.INTERNAL_ERROR : Verdict.COMPILE_ERROR;
                notRun(verdict, compileFailure);
                return finish(program.compilerOutput(), compileFailure);
            }
            Checker bound = checkerProgram == null ? checker
                    : new BoundProgramChecker(checkerProgram, checkerBuilt.artifacts(), checkerLimits);
            List<CompletableFuture<Void>> judged = new ArrayList<>();
            try {
                for (int i = 0; i < cases.size(); i++) {
                    judged.add(startCase(i, requests.get(i), program.artifacts(), bound, judges));
                }
            } catch (QueueFullException e) {
                // All or nothing: the caller can grade the whole submission again later.
                cancelAll();
                throw e;
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(judged.toArray(CompletableFuture[]::new));
            all.whenComplete((ignored, error) -> judgements.add(() -> { }));
            while (!all.isDone()) {
                judgements.take().run();
            }
            all.join();
            return finish(program.compilerOutput(), "");
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CloudRunException("compiling failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancelAll();
            throw new CloudRunException("grading was interrupted; its runs are cancelled");
        }
    }

    private void cancelAll() {
        synchronized (lock) {
            for (Execution execution : executions) {
                if (execution != null) {
                    execution.cancel();
                }
            }
        }
    }

    private RunRequest caseRequest(TestCase testCase, Limits suiteLimits) {
        String field = "cases[" + testCase.name() + "]";
        Limits limits = testCase.limits(suiteLimits);
        try {
            limits.validateAgainst(settings.ceiling());
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(field + "." + e.field(), e.getMessage());
        }
        RunRequest request = submission.withLimits(limits);
        Map<String, byte[]> submitted = submission.files();
        if (suite.inputFile().isPresent()) {
            String inputFile = suite.inputFile().get();
            if (submitted.containsKey(inputFile)) {
                throw new InvalidRequestException("files[" + inputFile + "]", "collides with the suite's input file");
            }
            request = request.withFile(inputFile, testCase.input()).withStdin(new byte[0]);
        } else {
            request = request.withStdin(testCase.input());
        }
        for (Map.Entry<String, byte[]> file : testCase.files().entrySet()) {
            if (submitted.containsKey(file.getKey()) || suite.inputFile().filter(file.getKey()::equals).isPresent()) {
                throw new InvalidRequestException(field + ".files[" + file.getKey() + "]",
                        "collides with a file of the submission or the input file");
            }
            request = request.withFile(file.getKey(), file.getValue());
        }
        return request;
    }

    /** Compiles once and carries the artefacts out, if the language compiles and names its artefacts. */
    private CompletableFuture<Build> build(RunRequest request, Language language) {
        if (!language.isCompiled() || language.artifacts().isEmpty()) {
            // Interpreted: nothing to build. Compiled without declared artefacts: each case compiles itself.
            return CompletableFuture.completedFuture(Build.NOT_NEEDED);
        }
        AtomicReference<CollectedFiles> artifacts = new AtomicReference<>();
        Execution execution = settings.runs().start(request.withStdin(new byte[0]),
                RunPlan.compileOnly(language.artifacts(), settings.maxArtifactBytes(), artifacts::set));
        return execution.result().whenComplete((result, error) -> execution.close())
                .thenApply(result -> new Build(result, artifacts.get()));
    }

    private CompletableFuture<Void> startCase(int index, RunRequest request, CollectedFiles artifacts, Checker checker,
                                              Executor judges) {
        TestCase testCase = cases.get(index);
        boolean afterAFailure;
        synchronized (lock) {
            afterAFailure = index > firstFailure;
        }
        if (afterAFailure) {
            record(index, skipped(testCase), 0);
            return CompletableFuture.completedFuture(null);
        }
        List<String> outputFiles = new ArrayList<>(suite.outputFile().map(List::of).orElse(List.of()));
        outputFiles.addAll(testCase.expectedFiles().keySet());
        AtomicReference<CollectedFiles> collected = new AtomicReference<>();
        Execution execution;
        try {
            execution = settings.runs().start(request, RunPlan.run(artifacts, outputFiles,
                    testCase.limits(suite.limits(settings.defaults())).maxOutputBytes(), collected::set));
        } catch (QueueFullException e) {
            throw e;
        } catch (RuntimeException e) {
            record(index, CaseReport.notRun(testCase.name(), Verdict.INTERNAL_ERROR, testCase.points(),
                    "could not start: " + e.getMessage()), 0);
            return CompletableFuture.completedFuture(null);
        }
        synchronized (lock) {
            executions[index] = execution;
        }
        return execution.result()
                .whenComplete((result, error) -> execution.close())
                .thenComposeAsync(result -> judge(testCase, result, collected.get(), checker, judges), judges)
                .exceptionally(error -> new Judged(CaseReport.notRun(testCase.name(), Verdict.INTERNAL_ERROR,
                        testCase.points(), "grading failed: " + error), 0))
                .thenAccept(judged -> record(index, judged.report, judged.fraction));
    }

    /** A case's report and the share of its points it earned. */
    private record Judged(CaseReport report, double fraction) { }

    private CompletableFuture<Judged> judge(TestCase testCase, RunResult result, CollectedFiles collected,
                                            Checker checker, Executor judges) {
        var runVerdict = VerdictRules.fromRun(result);
        if (runVerdict.isPresent()) {
            Verdict verdict = runVerdict.get();
            String message = verdict == Verdict.SKIPPED ? "skipped: an earlier case failed" : result.message();
            if (verdict == Verdict.COMPILE_ERROR) {
                message = cap(result.compilerOutput().strip(), MESSAGE_CHARS);
            }
            return CompletableFuture.completedFuture(new Judged(report(testCase, result, verdict, 0, message), 0));
        }
        Optional<String> outputFile = suite.outputFile();
        Map<String, byte[]> expectedFiles = testCase.expectedFiles();
        if (outputFile.isPresent() || !expectedFiles.isEmpty()) {
            if (collected == null || collected.problem() != null) {
                String problem = collected == null ? "they were not collected" : collected.problem();
                Verdict verdict = problem.contains("larger than") ? Verdict.OUTPUT_LIMIT : Verdict.INTERNAL_ERROR;
                return done(report(testCase, result, verdict, 0, "reading the output files: " + problem));
            }
        }
        byte[] shown = result.stdoutBytes();
        List<Check> checks = new ArrayList<>();
        if (testCase.expectedOutput().isPresent()) {
            if (outputFile.isPresent()) {
                String problem = fileProblem(collected, outputFile.get());
                if (problem != null) {
                    return done(report(testCase, result, Verdict.WRONG_ANSWER, 0, problem));
                }
                shown = collected.files().get(outputFile.get());
            }
            checks.add(new Check("", shown, testCase.expectedOutput().get()));
        }
        for (Map.Entry<String, byte[]> expected : expectedFiles.entrySet()) {
            String problem = fileProblem(collected, expected.getKey());
            if (problem != null) {
                return done(report(testCase, result, Verdict.WRONG_ANSWER, 0, problem));
            }
            checks.add(new Check(expected.getKey() + ": ", collected.files().get(expected.getKey()), expected.getValue()));
        }
        // Every output is checked in turn; the first that is not accepted decides.
        CompletableFuture<CheckResult> verdict = CompletableFuture.completedFuture(CheckResult.accepted());
        for (Check check : checks) {
            verdict = verdict.thenCompose(previous -> !previous.verdict().isAccepted()
                    ? CompletableFuture.completedFuture(previous)
                    : runChecker(checker, testCase.input(), check, judges).thenApply(next -> combine(previous, next, check)));
        }
        byte[] programOutput = shown;
        return verdict.thenApplyAsync(check -> {
            double fraction = check.verdict() == Verdict.ACCEPTED ? check.score() : 0;
            CaseReport report = new CaseReport(testCase.name(), check.verdict(),
                    groupOf.containsKey(testCase.name()) ? 0 : fraction * testCase.points(), testCase.points(),
                    result.wallTime(), result.cpuTime(), result.memoryBytes(), result.exitCode(),
                    result.signal().orElse(0), text(programOutput), cap(result.stderr(), REPORTED_CHARS),
                    cap(check.message(), MESSAGE_CHARS));
            return new Judged(report, fraction);
        }, judges);
    }

    /** One output to check: the program's stdout or output file, or an expected file, against its answer. */
    private record Check(String label, byte[] output, byte[] answer) { }

    private static CompletableFuture<Judged> done(CaseReport report) {
        return CompletableFuture.completedFuture(new Judged(report, 0));
    }

    /** @return why a file the program should have left cannot be checked, or null if it can */
    private static String fileProblem(CollectedFiles collected, String name) {
        if (collected.rejected().containsKey(name)) {
            return name + " " + collected.rejected().get(name);
        }
        return collected.files().containsKey(name) ? null : "the program did not write " + name;
    }

    private CompletableFuture<CheckResult> runChecker(Checker checker, byte[] input, Check check, Executor judges) {
        CompletableFuture<CheckResult> checked;
        try {
            checked = checker instanceof BoundProgramChecker program
                    ? program.checkAsync(input, check.output(), check.answer())
                    : CompletableFuture.supplyAsync(() -> checker.check(input, check.output(), check.answer()), judges);
        } catch (RuntimeException e) {
            checked = CompletableFuture.failedFuture(e);
        }
        return checked.exceptionally(error -> CheckResult.checkerError("the checker threw " + rootCause(error)));
    }

    private static CheckResult combine(CheckResult previous, CheckResult next, Check check) {
        if (!next.verdict().isAccepted()) {
            return new CheckResult(next.verdict(), 0, check.label() + next.message());
        }
        String message = previous.message().isEmpty() ? next.message()
                : next.message().isEmpty() ? previous.message() : previous.message() + "; " + next.message();
        return new CheckResult(Verdict.ACCEPTED, Math.min(previous.score(), next.score()), message);
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    private CaseReport report(TestCase testCase, RunResult result, Verdict verdict, double score, String message) {
        return new CaseReport(testCase.name(), verdict, score, testCase.points(), result.wallTime(), result.cpuTime(),
                result.memoryBytes(), result.exitCode(), result.signal().orElse(0), text(result.stdoutBytes()),
                cap(result.stderr(), REPORTED_CHARS), cap(message, MESSAGE_CHARS));
    }

    private CaseReport skipped(TestCase testCase) {
        return CaseReport.notRun(testCase.name(), Verdict.SKIPPED, testCase.points(), "skipped: an earlier case failed");
    }

    /** Keeps a case's report; with stop-at-first-failure, cancels and skips what comes after a failure. */
    private void record(int index, CaseReport report, double fraction) {
        List<Execution> toCancel = new ArrayList<>();
        List<CaseReport> toAnnounce = new ArrayList<>();
        synchronized (lock) {
            if (settings.stopAtFirstFailure() && index > firstFailure) {
                report = skipped(cases.get(index));
                fraction = 0;
            }
            reports[index] = report;
            fractions[index] = fraction;
            if (settings.stopAtFirstFailure() && !report.verdict().isAccepted() && index < firstFailure) {
                firstFailure = index;
                for (int later = index + 1; later < cases.size(); later++) {
                    if (executions[later] != null) {
                        toCancel.add(executions[later]);
                    }
                    if (reports[later] != null) {
                        reports[later] = skipped(cases.get(later));
                        fractions[later] = 0;
                    }
                }
            }
            if (settings.stopAtFirstFailure()) {
                // In suite order: a case's report is final once every earlier case has one.
                while (nextToAnnounce < cases.size() && reports[nextToAnnounce] != null) {
                    toAnnounce.add(reports[nextToAnnounce++]);
                }
            } else {
                toAnnounce.add(report);
            }
        }
        toCancel.forEach(Execution::cancel);
        toAnnounce.forEach(this::announceCase);
    }

    private void announceCompiled(boolean success, String compilerOutput) {
        try {
            settings.listener().onCompiled(success, compilerOutput);
        } catch (RuntimeException e) {
            LOG.warn("grade listener failed on compile", e);
        }
    }

    private synchronized void announceCase(CaseReport report) {
        try {
            settings.listener().onCase(report);
        } catch (RuntimeException e) {
            LOG.warn("grade listener failed on case {}", report.name(), e);
        }
    }

    /** Gives every case the same report, for a grading that stopped before any case ran. */
    private void notRun(Verdict verdict, String message) {
        for (int i = 0; i < cases.size(); i++) {
            CaseReport report = CaseReport.notRun(cases.get(i).name(), verdict, cases.get(i).points(), message);
            synchronized (lock) {
                reports[i] = report;
            }
            announceCase(report);
        }
    }

    private GradeReport finish(String compilerOutput, String message) {
        List<CaseReport> all;
        double[] shares;
        synchronized (lock) {
            all = List.of(reports);
            shares = Arrays.copyOf(fractions, fractions.length);
        }
        double score = 0;
        for (int i = 0; i < all.size(); i++) {
            score += all.get(i).score();
        }
        Map<String, Double> groupScores = new LinkedHashMap<>();
        for (TestGroup group : suite.groups()) {
            double share = 1;
            for (String member : group.cases()) {
                int index = indexOf(member);
                share = all.get(index).verdict().isAccepted() ? Math.min(share, shares[index]) : 0;
                if (share == 0) {
                    break;
                }
            }
            groupScores.put(group.name(), share * group.points());
            score += share * group.points();
        }
        Verdict verdict = all.stream().map(CaseReport::verdict).filter(v -> !v.isAccepted()).findFirst()
                .orElse(Verdict.ACCEPTED);
        long accepted = all.stream().filter(c -> c.verdict().isAccepted()).count();
        String summary = message.isEmpty() ? accepted + " of " + all.size() + " cases accepted" : message.strip();
        return new GradeReport(verdict, score, suite.maxScore(), compilerOutput, all, groupScores, summary);
    }

    private int indexOf(String name) {
        for (int i = 0; i < cases.size(); i++) {
            if (cases.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalStateException("no case " + name);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, 0, Math.min(bytes.length, REPORTED_CHARS), StandardCharsets.UTF_8);
    }

    static String cap(String text, int chars) {
        return text.length() <= chars ? text : text.substring(0, chars) + "…";
    }

    /** A checker program compiled for this grading, run in a fresh sandbox per case. */
    private final class BoundProgramChecker implements Checker {
        private final ProgramChecker program;
        private final CollectedFiles artifacts;
        private final Limits limits;

        BoundProgramChecker(ProgramChecker program, CollectedFiles artifacts, Limits limits) {
            this.program = program;
            this.artifacts = artifacts;
            this.limits = limits;
        }

        @Override
        public CheckResult check(byte[] input, byte[] output, byte[] answer) {
            return checkAsync(input, output, answer).join();
        }

        CompletableFuture<CheckResult> checkAsync(byte[] input, byte[] output, byte[] answer) {
            RunRequest request = RunRequest.of(program.language(), program.source())
                    .withFile("input", input).withFile("output", output).withFile("answer", answer)
                    .withArgs("input", "output", "answer").withLimits(limits);
            Execution execution = settings.runs().start(request, RunPlan.run(artifacts, List.of(), 0, files -> { }));
            return execution.result().whenComplete((result, error) -> execution.close()).thenApply(result -> {
                String said = result.stderr().strip().isEmpty() ? result.stdout().strip() : result.stderr().strip();
                return VerdictRules.fromCheckerProgram(result, cap(said, MESSAGE_CHARS));
            });
        }
    }
}
