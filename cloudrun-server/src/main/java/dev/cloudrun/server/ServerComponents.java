package dev.cloudrun.server;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Limits;
import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.server.ai.AiRoutes;
import dev.cloudrun.server.auth.AuthRoutes;
import dev.cloudrun.server.auth.AuthService;
import dev.cloudrun.server.auth.JwtSecret;
import dev.cloudrun.server.auth.PasswordHasher;
import dev.cloudrun.server.auth.TokenService;
import dev.cloudrun.server.compat.jobe.JobeApi;
import dev.cloudrun.server.compat.judge0.Judge0Api;
import dev.cloudrun.server.compat.piston.PistonApi;
import dev.cloudrun.server.config.AuthSettings;
import dev.cloudrun.server.config.CompatSettings;
import dev.cloudrun.server.config.PackageSettings;
import dev.cloudrun.server.config.ProjectSettings;
import dev.cloudrun.server.config.RateLimitSettings;
import dev.cloudrun.server.config.SandboxSettings;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.config.WebSocketSettings;
import dev.cloudrun.server.db.Database;
import dev.cloudrun.server.db.ProjectRepository;
import dev.cloudrun.server.db.RunOutputRepository;
import dev.cloudrun.server.db.RunRepository;
import dev.cloudrun.server.db.UserRepository;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.EdgeFilter;
import dev.cloudrun.server.http.ErrorShapes;
import dev.cloudrun.server.http.ErrorHandling;
import dev.cloudrun.server.http.HostPolicy;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.http.OriginPolicy;
import dev.cloudrun.server.http.RequestGuards;
import dev.cloudrun.server.http.SystemRoutes;
import dev.cloudrun.server.http.UnauthenticatedSockets;
import dev.cloudrun.server.grading.CallbackFence;
import dev.cloudrun.server.grading.CallbackSigner;
import dev.cloudrun.server.grading.GradingApi;
import dev.cloudrun.server.keys.ApiKeyRoutes;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.mcp.McpEndpoint;
import dev.cloudrun.server.projects.ProjectRoutes;
import dev.cloudrun.server.projects.ProjectService;
import dev.cloudrun.server.runs.RunQuota;
import dev.cloudrun.server.runs.RunRoutes;
import dev.cloudrun.server.runs.RunService;
import dev.cloudrun.server.runs.RunSocket;
import dev.cloudrun.server.terminals.TerminalSocket;
import dev.cloudrun.server.terminals.WorkspaceRegistry;
import dev.cloudrun.server.web.WebAssets;
import dev.cloudrun.spi.SandboxBackend;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.servlet.FilterHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the server's parts from its configuration and wires them into a Javalin application. */
final class ServerComponents implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerComponents.class);
    static final String WEBSOCKET_PATH = "/ws/run";

    final Database database;
    final CodeRunner runner;
    final Javalin app;
    /** The Judge0-only listener of {@code CLOUDRUN_JUDGE0_PORT}, or null. */
    Javalin judge0App;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService sendExecutor;
    private AiRoutes ai;
    private GradingApi grading;
    private WorkspaceRegistry workspaces;
    /** The agents' MCP endpoint at /mcp, or null when it is off or there is no sandbox. */
    private McpEndpoint mcp;

    ServerComponents(ServerConfig config) {
        Clock clock = Clock.systemUTC();
        Database.secureDataDirectory(config.dataDir());
        this.database = Database.open(config.database().url());
        try {
            ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(2, daemonThreads("cloudrun-server-timer"));
            // A cancelled timer (every socket's authentication deadline, output flushes) leaves the queue at once
            // instead of staying there until it would have fired.
            timers.setRemoveOnCancelPolicy(true);
            this.scheduler = timers;
            this.sendExecutor = Executors.newCachedThreadPool(daemonThreads("cloudrun-ws-send"));
            String node = config.grading().nodeId().orElseGet(GradingApi::defaultNodeId);
            RunRepository history = new RunRepository(database.jdbi(), database.kind(), node);
            int interrupted = history.markInterrupted(clock.millis());
            if (interrupted > 0) {
                LOG.info("marked {} run(s) interrupted by the previous shutdown", interrupted);
            }
            String sandboxProblem = null;
            CodeRunner created = null;
            try {
                created = createRunner(config.sandbox(), config.packages());
            } catch (CloudRunException e) {
                sandboxProblem = e.getMessage();
                LOG.warn("no sandbox is available, runs will be refused: {}", sandboxProblem);
            }
            this.runner = created;

            AuthSettings accounts = config.auth();
            RateLimitSettings rateLimits = config.rateLimits();
            byte[] serverSecret = JwtSecret.load(accounts.jwtSecret(), config.dataDir());
            TokenService tokens = new TokenService(serverSecret, accounts.tokenTtl(), clock);
            AuthService auth = new AuthService(new UserRepository(database.jdbi()), new PasswordHasher(), tokens,
                    new AuthService.Limits(rateLimits.loginAttemptsPerAccountPerMinute(),
                            rateLimits.loginAttemptsPerAccountAllAddressesPerMinute(), rateLimits.loginAttemptsPerIpPerMinute(),
                            rateLimits.guestsPerIpPerHour(), rateLimits.registrationsPerIpPerHour(), accounts.sessionMaxLifetime()),
                    clock);
            ProjectSettings limits = config.projects();
            ProjectService projects = new ProjectService(new ProjectRepository(database.jdbi()), clock, limits.maxFileBytes(),
                    limits.maxFiles(), limits.maxBytes(), limits.maxProjectsPerUser());
            RunQuota quota = new RunQuota(config.runQuota());
            RunOutputRepository outputs = new RunOutputRepository(database.jdbi(), config.runHistory().outputKeepRuns(),
                    config.runHistory().outputKeepRunsPerUser());
            this.workspaces = new WorkspaceRegistry(runner, sandboxProblem, projects, config.workspaces(), limits.maxFileBytes(),
                    clock);
            RunService runs = new RunService(runner, sandboxProblem, projects, history, outputs,
                    config.runHistory().outputKeepBytes(), quota, scheduler,
                    config.sandbox().runDeadline(), clock, config.packages().install(), config.packages().cacheScope(),
                    workspaces);
            WebSocketSettings webSocket = config.webSocket();
            ClientAddress clients = config.http().clientAddress();
            UnauthenticatedSockets unauthenticated = new UnauthenticatedSockets(webSocket.unauthenticatedPerAddress());
            RunSocket socket = new RunSocket(runs, auth, sendExecutor, scheduler, webSocket.maxMessageBytes(),
                    webSocket.pingInterval(), clients, webSocket.authTimeout(), unauthenticated);
            TerminalSocket terminals = new TerminalSocket(workspaces, projects, auth, sendExecutor, scheduler,
                    webSocket.maxMessageBytes(), webSocket.pingInterval(), clients, webSocket.authTimeout(), unauthenticated);
            HostPolicy hosts = new HostPolicy(config.http().host(), config.http().allowedHosts());
            RequestGuards guards = new RequestGuards(new OriginPolicy(config.http().corsOrigins(), hosts), clients,
                    rateLimits.requestsPerMinutePerIp());
            long maxRequestBytes = limits.maxFileBytes() + 1024 * 1024;
            long maxProblemBytes = config.grading().maxProblemBytes();
            // A batch of 200 submissions of a few KiB each; a problem upload up to its own limit.
            long maxBatchBytes = Math.max(maxRequestBytes, 32L * 1024 * 1024);
            String judge0Path = config.compat().judge0Path();
            ErrorShapes tooLargeShapes = compatShapes(config.compat(), judge0Path);
            long maxMcpBytes = McpEndpoint.maxRequestBytes(McpEndpoint.policy(config.mcp()));
            EdgeFilter edge = new EdgeFilter(hosts, maxRequestBytes,
                    Map.of("/api/problems", maxProblemBytes, "/api/submissions/batch", maxBatchBytes,
                            judge0Path + "/submissions/batch", maxBatchBytes, McpEndpoint.PATH, maxMcpBytes), tooLargeShapes);
            AuthRoutes authRoutes = new AuthRoutes(auth, clients);
            AiRoutes aiRoutes = AiRoutes.create(config.ai(), authRoutes);
            ApiKeyService apiKeys = new ApiKeyService(database.jdbi(), clock, config.grading().maxApiKeysPerUser());
            if (config.mcp().enabled() && runner != null) {
                this.mcp = McpEndpoint.create(runner, config.mcp(), apiKeys, quota, guards, clients, history, clock);
            } else if (config.mcp().enabled()) {
                LOG.warn("no sandbox: /mcp is not served");
            }
            McpEndpoint mcpEndpoint = this.mcp;
            CallbackSigner signer = new CallbackSigner(serverSecret);
            ApiKeyRoutes keyRoutes = new ApiKeyRoutes(apiKeys, authRoutes, signer::signingSecret);
            CallbackFence fence = new CallbackFence(config.grading().callbackAllowPrivate());
            this.grading = new GradingApi(database, runner, sandboxProblem, config.grading(), node, signer, fence,
                    keyRoutes, config.dataDir().resolve("scratch"), limits.maxFileBytes(), clock, scheduler);
            this.ai = aiRoutes;

            this.app = Javalin.create(javalin -> {
                javalin.showJavalinBanner = false;
                javalin.jsonMapper(new JavalinJackson(Json.MAPPER, false));
                // The edge filter enforces each path's limit; this is the largest of them.
                javalin.http.maxRequestSize = Math.max(maxRequestBytes, Math.max(maxProblemBytes, maxBatchBytes));
                javalin.jetty.modifyServletContextHandler(handler -> {
                    handler.addFilter(new FilterHolder(edge), "/*", EnumSet.of(DispatcherType.REQUEST));
                    if (mcpEndpoint != null) {
                        mcpEndpoint.mount(handler);
                    }
                });
                javalin.router.ignoreTrailingSlashes = true;
                WebAssets.configure(javalin);
                javalin.jetty.modifyWebSocketServletFactory(factory -> {
                    factory.setIdleTimeout(webSocket.idleTimeout());
                    // Twice the protocol's limit: the endpoint answers slightly larger messages with a JSON error itself.
                    factory.setMaxTextMessageSize(2L * webSocket.maxMessageBytes());
                    factory.setMaxBinaryMessageSize(64 * 1024);
                });
            });
            ErrorHandling.install(app, tooLargeShapes);
            guards.register(app, WEBSOCKET_PATH);
            guards.guardUpgrade(app, TerminalSocket.PATH);
            new SystemRoutes(database, runner, sandboxProblem).register(app);
            authRoutes.register(app);
            new ProjectRoutes(projects, authRoutes, workspaces).register(app);
            new RunRoutes(runs, history, outputs, authRoutes, keyRoutes, clients).register(app);
            aiRoutes.register(app);
            keyRoutes.register(app);
            grading.register(app);
            if (config.compat().enabled("jobe")) {
                new JobeApi(runner, sandboxProblem, apiKeys, runs, clients, config.compat().jobeRequiresKey()).register(app);
            }
            app.ws(WEBSOCKET_PATH, socket::configure);
            app.ws(TerminalSocket.PATH, terminals::configure);
            if (config.compat().enabled("piston")) {
                PistonApi piston = new PistonApi(runs, runner, auth, apiKeys, clients,
                        new OriginPolicy(config.http().corsOrigins(), hosts), rateLimits.requestsPerMinutePerIp(), webSocket,
                        sendExecutor, scheduler, clock);
                scheduler.scheduleAtFixedRate(piston::evictIdle, 5, 5, TimeUnit.MINUTES);
                piston.register(app);
            }
            if (config.compat().enabled("judge0")) {
                Judge0Api judge0 = new Judge0Api(database.jdbi(), runs, runner, apiKeys, clients, signer, fence,
                        limits.maxFileBytes(), config.compat().judge0AllowNetwork(), config.sandbox().maxConcurrentRuns(),
                        config.compat().judge0Lease(), config.grading().nodeId(), sendExecutor, clock);
                judge0.register(app, judge0Path);
                guards.limitRate(app, judge0Path + "/*");
                if (config.compat().judge0Port().isPresent()) {
                    // Judge0 alone at "/", behind the main port's edge checks, body limits and per-address limits.
                    EdgeFilter judge0Edge = new EdgeFilter(hosts, maxRequestBytes, Map.of("/submissions/batch", maxBatchBytes),
                            ErrorShapes.cloudRun().with("/", Judge0Api::errorBody));
                    this.judge0App = Javalin.create(javalin -> {
                        javalin.showJavalinBanner = false;
                        javalin.jsonMapper(new JavalinJackson(Json.MAPPER, false));
                        javalin.http.maxRequestSize = Math.max(maxRequestBytes, maxBatchBytes);
                        javalin.jetty.modifyServletContextHandler(handler -> handler.addFilter(new FilterHolder(judge0Edge), "/*",
                                EnumSet.of(DispatcherType.REQUEST)));
                        javalin.router.ignoreTrailingSlashes = true;
                    });
                    ErrorHandling.install(judge0App, ErrorShapes.cloudRun().with("/", Judge0Api::errorBody));
                    guards.limitRate(judge0App, "/*");
                    judge0.register(judge0App, "");
                }
                judge0.start(scheduler);
            }

            scheduler.scheduleAtFixedRate(() -> {
                guards.evictIdle();
                auth.evictIdleThrottles();
                quota.evictIdle();
                aiRoutes.evictIdle();
            }, 5, 5, TimeUnit.MINUTES);
            // No run outlives the run deadline: one still RUNNING a minute after it was on a node that died.
            long abandonedAfterMillis = config.sandbox().runDeadline().toMillis() + 60_000;
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    long now = clock.millis();
                    int abandoned = history.markAbandoned(now - abandonedAfterMillis, now);
                    if (abandoned > 0) {
                        LOG.info("marked {} run(s) of a stopped node interrupted", abandoned);
                    }
                } catch (RuntimeException e) {
                    LOG.warn("sweeping abandoned runs failed: {}", e.toString());
                }
            }, 1, 1, TimeUnit.MINUTES);
            Duration guestRetention = accounts.guestRetention();
            scheduler.scheduleWithFixedDelay(() -> {
                try {
                    auth.purgeExpiredRevocations();
                    int purged = auth.purgeIdleGuests(guestRetention);
                    if (purged > 0) {
                        LOG.info("deleted {} guest(s) idle for more than {} days, with their projects", purged,
                                guestRetention.toDays());
                    }
                } catch (RuntimeException e) {
                    LOG.warn("purging idle guests failed: {}", e.toString());
                }
            }, 1, 60, TimeUnit.MINUTES);
            grading.start();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The 413 of each enabled compatible API in its own shape; CloudRun's elsewhere. */
    private static ErrorShapes compatShapes(CompatSettings compat, String judge0Path) {
        ErrorShapes shapes = ErrorShapes.cloudRun();
        if (compat.enabled("jobe")) {
            shapes = shapes.with(JobeApi.BASE, JobeApi::errorBody);
        }
        if (compat.enabled("piston")) {
            shapes = shapes.with(PistonApi.PREFIX, PistonApi::errorBody);
        }
        if (compat.enabled("judge0")) {
            shapes = shapes.with(judge0Path, Judge0Api::errorBody);
        }
        return shapes;
    }

    private static CodeRunner createRunner(SandboxSettings sandbox, PackageSettings packages) {
        Limits defaults = Limits.defaults()
                .withWallTime(sandbox.defaultWallTime())
                .withMemoryBytes(sandbox.defaultMemoryBytes())
                .withMaxOutputBytes(Math.min(Limits.defaults().maxOutputBytes(), sandbox.maxOutputBytes()));
        Limits ceiling = Limits.defaultCeiling()
                .withWallTime(sandbox.maxWallTime())
                .withCpuTime(sandbox.maxWallTime())
                .withMemoryBytes(sandbox.maxMemoryBytes())
                .withMaxOutputBytes(sandbox.maxOutputBytes());
        // A Docker runtime (gVisor) is an option of the Docker backend, which the server then builds itself:
        // an operator who asked for gVisor gets Docker with it or a clear refusal, never a silent fallback.
        SandboxBackend dockerWithRuntime = sandbox.dockerRuntime().map(runtime -> DockerSandboxBackend.create(
                new DockerBackendOptions().runtime(runtime).maxConcurrentRuns(sandbox.maxConcurrentRuns())
                        .allowUnfencedNetwork(sandbox.allowUnfencedNetwork()))).orElse(null);
        try {
            return CodeRunner.create(runnerConfig -> {
                if (dockerWithRuntime != null) {
                    runnerConfig.backend(dockerWithRuntime);
                } else {
                    runnerConfig.backend(sandbox.backend());
                }
                runnerConfig.defaultLimits(defaults)
                        .maxLimits(ceiling)
                        .maxConcurrentRuns(sandbox.maxConcurrentRuns())
                        .compileCacheBytes(sandbox.compileCacheBytes())
                        .allowUnfencedNetwork(sandbox.allowUnfencedNetwork());
                packages.pypiIndexUrl().ifPresent(url -> runnerConfig.packageIndex("pypi", url));
                packages.npmRegistryUrl().ifPresent(url -> runnerConfig.packageIndex("npm", url));
            });
        } catch (RuntimeException e) {
            if (dockerWithRuntime != null) {
                dockerWithRuntime.close();
            }
            throw e;
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger counter = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        if (judge0App != null) {
            judge0App.stop();
        }
        if (app != null) {
            app.stop();
        }
        if (grading != null) {
            grading.close();
        }
        if (workspaces != null) {
            workspaces.close();
        }
        if (mcp != null) {
            mcp.close();
        }
        if (runner != null) {
            runner.close();
        }
        if (grading != null) {
            grading.awaitStopped(Duration.ofSeconds(5));
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (sendExecutor != null) {
            sendExecutor.shutdownNow();
        }
        if (ai != null) {
            ai.close();
        }
        database.close();
    }
}
