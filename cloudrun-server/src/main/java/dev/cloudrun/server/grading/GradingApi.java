package dev.cloudrun.server.grading;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.server.config.GradingSettings;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.DatabaseUrl;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import io.javalin.Javalin;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The grading API for machine clients, assembled: problems, submissions, the durable queue and
 * this node's graders. Several nodes on one PostgreSQL database share the queue.
 */
public final class GradingApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GradingApi.class);

    private final String node;
    private final GradingSettings settings;
    private final Database database;
    private final SubmissionRepository submissionRows;
    private final ProblemRoutes problemRoutes;
    private final SubmissionRoutes submissionRoutes;
    private final SubmissionService submissions;
    private final GradingWorkers workers;

    /**
     * Builds the API; nothing runs until {@link #start}.
     *
     * @param database the database
     * @param runner the sandbox runner, null when none is available (submissions are then refused)
     * @param sandboxProblem why there is no runner, or null
     * @param settings the grading settings
     * @param callbackRule the check of a callback URL at submission time
     * @param keys API key authentication
     * @param scratch a folder of the server's own for unpacking problem zips
     * @param maxSourceBytes the largest source
     * @param clock the clock
     * @param scheduler timers (lease renewal, the sweep of expired leases)
     */
    public GradingApi(Database database, CodeRunner runner, String sandboxProblem, GradingSettings settings,
            CallbackCheck callbackRule, ApiKeyRoutes keys, Path scratch, long maxSourceBytes, Clock clock,
            ScheduledExecutorService scheduler) {
        this.node = settings.nodeId().orElseGet(GradingApi::defaultNodeId);
        this.settings = settings;
        this.database = database;
        this.submissionRows = new SubmissionRepository(database.jdbi(), database.kind());
        ProblemService problems = new ProblemService(database.jdbi(), clock, scratch, settings.maxProblemsPerUser());
        this.workers = runner == null ? null
                : new GradingWorkers(submissionRows, problems, runner, clock, node, settings.lease(), scheduler);
        this.submissions = new SubmissionService(submissionRows, problems, runner, sandboxProblem, clock,
                new SubmissionService.Limits(settings.keySubmissionsPerMinute(), settings.keyMaxQueued(), maxSourceBytes),
                callbackRule, () -> {
                    if (workers != null) {
                        workers.wake();
                    }
                });
        this.problemRoutes = new ProblemRoutes(problems, keys);
        this.submissionRoutes = new SubmissionRoutes(submissions, keys, settings.maxWait());
    }

    /** Checks a callback URL when a submission is made. */
    @FunctionalInterface
    public interface CallbackCheck {
        /**
         * @param url the URL
         * @param field the field to name in an error
         */
        void check(String url, String field);
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "node";
        }
        byte[] suffix = new byte[3];
        new SecureRandom().nextBytes(suffix);
        return host + "-" + HexFormat.of().formatHex(suffix);
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        problemRoutes.register(app);
        submissionRoutes.register(app);
    }

    /** Starts this node's graders (after putting back what a killed predecessor was grading, on SQLite). */
    public void start() {
        if (database.kind() == DatabaseUrl.Kind.SQLITE) {
            // Only one process uses a SQLite database: whatever is marked in progress was this node's before a crash.
            int requeued = submissionRows.requeueAllInProgress();
            if (requeued > 0) {
                LOG.info("put {} submission(s) the previous run was grading back in the queue", requeued);
            }
        }
        if (workers != null && settings.workers() > 0) {
            workers.start(settings.workers());
            LOG.info("grading node {} with {} grader(s)", node, settings.workers());
        }
    }

    /**
     * @param id a submission
     * @return what its callback posts: the JSON of {@code GET /api/submissions/{id}}
     */
    public Optional<byte[]> callbackPayload(String id) {
        return submissions.payload(id);
    }

    /**
     * Shows each callback attempt in the submission view.
     *
     * @param attempts a submission's id to its attempts
     */
    public void showCallbackAttempts(java.util.function.Function<String, java.util.List<java.util.Map<String, Object>>> attempts) {
        submissions.showCallbackAttempts(attempts);
    }

    /** @return this node's id in leases */
    public String nodeId() {
        return node;
    }

    /** Stops claiming submissions; the runner's close then ends the gradings under way, which give their claims back. */
    @Override
    public void close() {
        if (workers != null) {
            workers.close();
        }
    }

    /**
     * Waits for the graders to give back their claims, after the runner was closed.
     *
     * @param timeout how long at most
     */
    public void awaitStopped(Duration timeout) {
        if (workers != null) {
            workers.awaitStopped(timeout);
        }
    }
}
