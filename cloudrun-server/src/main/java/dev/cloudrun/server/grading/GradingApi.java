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
    private final CallbackDispatcher callbacks;
    private final ScheduledExecutorService scheduler;

    /**
     * Builds the API; nothing runs until {@link #start}.
     *
     * @param database the database
     * @param runner the sandbox runner, null when none is available (submissions are then refused)
     * @param sandboxProblem why there is no runner, or null
     * @param settings the grading settings
     * @param node this node's id in leases ({@link #defaultNodeId} when the operator set none)
     * @param signer signs callbacks
     * @param fence where callbacks may go
     * @param keys API key authentication
     * @param scratch a folder of the server's own for unpacking problem zips
     * @param maxSourceBytes the largest source
     * @param clock the clock
     * @param scheduler timers (lease renewal, the sweep of expired leases)
     */
    public GradingApi(Database database, CodeRunner runner, String sandboxProblem, GradingSettings settings, String node,
            CallbackSigner signer, CallbackFence fence, ApiKeyRoutes keys, Path scratch, long maxSourceBytes, Clock clock,
            ScheduledExecutorService scheduler) {
        this.node = node;
        this.settings = settings;
        this.database = database;
        this.submissionRows = new SubmissionRepository(database.jdbi(), database.kind());
        ProblemService problems = new ProblemService(database.jdbi(), clock, scratch, settings.maxProblemsPerUser());
        this.workers = runner == null ? null
                : new GradingWorkers(submissionRows, problems, runner, clock, node, settings.lease(), scheduler);
        this.submissions = new SubmissionService(submissionRows, problems, runner, sandboxProblem, clock,
                new SubmissionService.Limits(settings.keySubmissionsPerMinute(), settings.keyMaxQueued(), maxSourceBytes),
                (url, field) -> fence.checkDestination(CallbackFence.checkUrl(url, field), field), () -> {
                    if (workers != null) {
                        workers.wake();
                    }
                });
        this.callbacks = new CallbackDispatcher(database.jdbi(), clock, signer, fence, submissions::payload,
                CallbackSettings.defaults());
        submissions.showCallbackAttempts(callbacks::attempts);
        this.scheduler = scheduler;
        this.problemRoutes = new ProblemRoutes(problems, keys);
        this.submissionRoutes = new SubmissionRoutes(submissions, keys, settings.maxWait());
    }

    /** @return a node id for a node the operator named not: the host name and a random suffix */
    public static String defaultNodeId() {
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

    /** Starts this node's graders and callback deliveries (after putting back what a killed predecessor was grading, on SQLite). */
    public void start() {
        if (database.kind() == DatabaseUrl.Kind.SQLITE) {
            // Only one process uses a SQLite database: whatever is marked in progress was this node's before a crash.
            int requeued = submissionRows.requeueAllInProgress();
            if (requeued > 0) {
                LOG.info("put {} submission(s) the previous run was grading back in the queue", requeued);
            }
        }
        callbacks.start(scheduler);
        if (workers != null && settings.workers() > 0) {
            workers.start(settings.workers());
            LOG.info("grading node {} with {} grader(s)", node, settings.workers());
        }
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
        callbacks.close();
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
