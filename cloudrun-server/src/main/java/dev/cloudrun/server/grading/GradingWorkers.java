package dev.cloudrun.server.grading;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.cloudrun.CaseReport;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeListener;
import dev.cloudrun.GradeReport;
import dev.cloudrun.Grader;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestSuite;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's graders: a few threads that claim submissions from the database queue, grade each
 * with the SDK's {@link Grader} (compile once, every case in a fresh sandbox, cases in parallel in
 * the runner's fair queue under the key's fairness group), record each case as it is judged, and
 * the result under their lease. A submission claimed {@value #MAX_ATTEMPTS} times without a result
 * (its nodes died grading it) fails instead of taking a node down again.
 */
final class GradingWorkers implements AutoCloseable {
    static final int MAX_ATTEMPTS = 3;
    private static final Logger LOG = LoggerFactory.getLogger(GradingWorkers.class);
    private static final long IDLE_POLL_MILLIS = 500;

    private final SubmissionRepository submissions;
    private final ProblemService problems;
    private final CodeRunner runner;
    private final Clock clock;
    private final String node;
    private final Duration lease;
    private final ScheduledExecutorService scheduler;
    private final List<Thread> threads = new ArrayList<>();
    private final Object wakeUp = new Object();
    private final AtomicBoolean running = new AtomicBoolean();
    private ScheduledFuture<?> sweeper;

    GradingWorkers(SubmissionRepository submissions, ProblemService problems, CodeRunner runner, Clock clock, String node,
            Duration lease, ScheduledExecutorService scheduler) {
        this.submissions = submissions;
        this.problems = problems;
        this.runner = runner;
        this.clock = clock;
        this.node = node;
        this.lease = lease;
        this.scheduler = scheduler;
    }

    /**
     * Starts the graders and the sweep that puts back submissions whose node died.
     *
     * @param workers how many submissions this node grades at once
     */
    void start(int workers) {
        running.set(true);
        long sweepMillis = Math.max(1000, lease.toMillis() / 4);
        sweeper = scheduler.scheduleWithFixedDelay(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
        for (int i = 0; i < workers; i++) {
            Thread thread = new Thread(this::work, "cloudrun-grader-" + (i + 1));
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
    }

    /** Tells idle graders that a submission is waiting (one stored on this node). */
    void wake() {
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
    }

    private void sweep() {
        try {
            int requeued = submissions.requeueExpired(clock.millis());
            if (requeued > 0) {
                LOG.info("put {} submission(s) whose node stopped renewing its lease back in the queue", requeued);
                wake();
            }
        } catch (RuntimeException e) {
            LOG.warn("sweeping expired grading leases failed: {}", e.toString());
        }
    }

    private void work() {
        while (running.get()) {
            Optional<SubmissionRepository.Claim> claim;
            try {
                long now = clock.millis();
                claim = submissions.claim(node, now, now + lease.toMillis());
            } catch (RuntimeException e) {
                // The database is away: wait and try again.
                LOG.debug("claiming a submission failed: {}", e.toString());
                claim = Optional.empty();
                idle(5 * IDLE_POLL_MILLIS);
            }
            if (claim.isEmpty()) {
                idle(IDLE_POLL_MILLIS);
                continue;
            }
            try {
                grade(claim.get());
            } catch (RuntimeException e) {
                LOG.warn("grading {} failed: {}", claim.get().submission().id(), e.toString());
            }
        }
    }

    private void idle(long millis) {
        synchronized (wakeUp) {
            try {
                wakeUp.wait(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running.set(false);
            }
        }
    }

    private void grade(SubmissionRepository.Claim claim) {
        Submission submission = claim.submission();
        int attempt = claim.attempt();
        if (attempt > MAX_ATTEMPTS) {
            fail(submission, attempt, "grading was interrupted " + MAX_ATTEMPTS
                    + " times (the node grading it stopped); it is not tried again");
            return;
        }
        long renewMillis = Math.max(500, lease.toMillis() / 3);
        ScheduledFuture<?> renewal = scheduler.scheduleWithFixedDelay(() -> {
            try {
                if (!submissions.renew(submission.id(), node, attempt, clock.millis() + lease.toMillis())) {
                    LOG.warn("lost the lease on submission {}: another node grades it now", submission.id());
                }
            } catch (RuntimeException e) {
                LOG.debug("renewing the lease on {} failed: {}", submission.id(), e.toString());
            }
        }, renewMillis, renewMillis, TimeUnit.MILLISECONDS);
        try {
            SubmissionRepository.Work work = submissions.work(submission.id());
            Optional<TestSuite> suite = suite(submission, work);
            if (suite.isEmpty()) {
                fail(submission, attempt, "the problem " + submission.problemId() + " was deleted before this submission was graded");
                return;
            }
            RunRequest request = RunRequest.of(submission.language(), work.source()).withFairnessKey("key:" + submission.keyId());
            for (Map.Entry<String, byte[]> file : files(work.files()).entrySet()) {
                request = request.withFile(file.getKey(), file.getValue());
            }
            AtomicInteger seq = new AtomicInteger();
            GradeListener listener = new GradeListener() {
                @Override
                public void onCompiled(boolean success, String compilerOutput) {
                    submissions.markRunning(submission.id(), node, attempt);
                }

                @Override
                public void onCase(CaseReport report) {
                    submissions.addCase(submission.id(), attempt, seq.incrementAndGet(), report.name(), report.verdict().name(),
                            Json.write(ReportJson.testCase(report)).getBytes(StandardCharsets.UTF_8));
                }
            };
            GradeReport report = Grader.create(runner).withListener(listener).grade(request, suite.get());
            if (!running.get()) {
                // The node is stopping and its runs were cancelled: another start or node grades it again.
                submissions.release(submission.id(), node, attempt);
                return;
            }
            boolean recorded = submissions.complete(submission.id(), node, attempt, new SubmissionRepository.Result(
                    Submission.DONE, report.verdict().name(), report.score(), report.maxScore(),
                    Json.write(ReportJson.report(report)).getBytes(StandardCharsets.UTF_8), null), clock.millis());
            if (!recorded) {
                LOG.warn("submission {} was graded here after its lease passed to another node: this result is dropped",
                        submission.id());
            }
        } catch (ApiError e) {
            fail(submission, attempt, e.getMessage());
        } catch (InvalidRequestException e) {
            fail(submission, attempt, e.getMessage());
        } catch (QueueFullException e) {
            submissions.release(submission.id(), node, attempt);
            idle(1000);
        } catch (CloudRunException e) {
            if (running.get()) {
                fail(submission, attempt, "the sandbox failed: " + e.getMessage());
            } else {
                submissions.release(submission.id(), node, attempt);
            }
        } finally {
            renewal.cancel(false);
        }
    }

    private Optional<TestSuite> suite(Submission submission, SubmissionRepository.Work work) {
        if (submission.problemId() == null) {
            return Optional.of(SuiteDocument.read(Json.parseObject(new String(work.suite(), StandardCharsets.UTF_8)), "suite."));
        }
        return problems.findForGrading(submission.userId(), submission.problemId()).flatMap(problems::suite);
    }

    static Map<String, byte[]> files(byte[] stored) {
        if (stored == null) {
            return Map.of();
        }
        Map<String, String> encoded = readMap(stored);
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        encoded.forEach((path, base64) -> files.put(path, Base64.getDecoder().decode(base64)));
        return files;
    }

    private static Map<String, String> readMap(byte[] stored) {
        try {
            return Json.MAPPER.readValue(stored, new TypeReference<Map<String, String>>() { });
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a stored submission's files are not valid JSON", e);
        }
    }

    private void fail(Submission submission, int attempt, String message) {
        submissions.complete(submission.id(), node, attempt,
                new SubmissionRepository.Result(Submission.FAILED, null, null, null, null, message), clock.millis());
    }

    /** Stops claiming; gradings under way end when the runner is closed, and give their claims back. */
    @Override
    public void close() {
        running.set(false);
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        wake();
    }

    /**
     * Waits for the graders to end, after {@link #close} and the runner's close.
     *
     * @param timeout how long at most
     */
    void awaitStopped(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
