package dev.cloudrun.server.compat.piston;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.StreamKind;
import dev.cloudrun.server.auth.AuthService;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.WebSocketSettings;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.http.KeyedRateLimiter;
import dev.cloudrun.server.http.OriginPolicy;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.runs.RunService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * The Piston API v2 facade: {@code GET /api/v2/runtimes}, {@code POST /api/v2/execute} (also under
 * {@code /api/v2/piston/}, the public Piston's paths) and the WebSocket {@code /api/v2/connect}
 * (docs/compat.md, "Piston"). Requests are checked as Piston checks them and answered in its shapes;
 * runs go through {@link RunService}, so CloudRun's quotas, queue, limits and history apply.
 */
public final class PistonApi {
    /** Where Piston's API lives. */
    public static final String PREFIX = "/api/v2";
    /** Where the public Piston (emkc.org) has it; clients that only know that one need only the host changed. */
    /**
     * @param message a refusal's sentence
     * @return it as Piston writes its errors: {@code {"message": ...}}
     */
    public static Object errorBody(String message) {
        return java.util.Map.of("message", message);
    }

    static final String PUBLIC_PREFIX = "/api/v2/piston";
    static final String CONNECT_PATH = PREFIX + "/connect";

    private final RunService runs;
    private final PistonCallers callers;
    private final ClientAddress clients;
    private final OriginPolicy origins;
    private final KeyedRateLimiter upgradesPerAddress;
    private final List<PistonRuntime> runtimes;
    private final Limits ceiling;
    private final long maxOutputChars;
    private final PistonSocket socket;

    /**
     * Creates the facade.
     *
     * @param runs starts runs (quotas, queue, history)
     * @param runner the SDK runner for its languages and ceiling, or null when no sandbox started
     * @param auth makes the anonymous guests and checks session tokens
     * @param keys checks API keys
     * @param clients tells the client's address
     * @param origins the browser origins allowed (checked on the WebSocket upgrade)
     * @param requestsPerMinutePerAddress how many upgrades one address may make per minute
     * @param webSocket the WebSocket bounds shared with {@code /ws/run}
     * @param sendExecutor drains the sockets' send queues
     * @param scheduler runs timeouts and pings
     * @param clock the time source
     */
    public PistonApi(RunService runs, CodeRunner runner, AuthService auth, ApiKeyService keys, ClientAddress clients,
                     OriginPolicy origins, int requestsPerMinutePerAddress, WebSocketSettings webSocket,
                     ExecutorService sendExecutor, ScheduledExecutorService scheduler, Clock clock) {
        this.runs = runs;
        this.callers = new PistonCallers(auth, keys, clock);
        this.clients = clients;
        this.origins = origins;
        this.upgradesPerAddress = new KeyedRateLimiter(requestsPerMinutePerAddress, Duration.ofMinutes(1));
        Iterable<Language> languages = runner != null ? runner.languages().all() : LanguageRegistry.loadDefault().all();
        this.runtimes = List.copyOf(PistonRuntime.all(languages));
        this.ceiling = runner != null ? runner.maxLimits() : Limits.defaultCeiling();
        this.maxOutputChars = ceiling.maxOutputBytes();
        this.socket = new PistonSocket(this, sendExecutor, scheduler, webSocket, clients);
    }

    /**
     * Registers the endpoints.
     *
     * @param app the application
     */
    public void register(Javalin app) {
        for (String prefix : List.of(PREFIX, PUBLIC_PREFIX)) {
            app.get(prefix + "/runtimes", ctx -> ctx.json(runtimes.stream().map(PistonRuntime::describe).toList()));
            app.post(prefix + "/execute", this::execute);
        }
        app.wsBeforeUpgrade(CONNECT_PATH, this::guardUpgrade);
        app.ws(CONNECT_PATH, socket::configure);
    }

    private void execute(Context ctx) {
        try {
            ctx.json(run(ctx));
        } catch (PistonError error) {
            error.retryAfter().ifPresent(wait ->
                    ctx.header("Retry-After", String.valueOf(Math.max(1, (wait.toMillis() + 999) / 1000))));
            ctx.status(error.status()).json(error.body());
        }
    }

    private Object run(Context ctx) {
        // Piston wants application/json; piston-client (node-fetch with a string body) sends text/plain,
        // which is taken too. Browsers cannot send either cross-site here: /api/* checks the Origin.
        String type = ctx.contentType() == null ? "" : ctx.contentType();
        if (!type.startsWith("application/json") && !type.startsWith("text/plain")) {
            throw new PistonError(415, "requests must be of type application/json", null);
        }
        JsonNode body = parseBody(ctx.body());
        PistonJob job = PistonJob.parse(body, runtimes, ceiling, false);
        Principal caller = translated(() -> {
            Principal known = callers.authenticated(ctx);
            return known != null ? known : callers.anonymous(clients.of(ctx));
        });
        OutputRecorder recorder = new OutputRecorder(maxOutputChars);
        CompletableFuture<RunService.Outcome> outcome = new CompletableFuture<>();
        RunService.StartedRun started = translated(() ->
                runs.start(caller, clients.of(ctx), job.spec(), "piston", recorder, outcome::complete));
        // The service cancels the run at its deadline, so this wait always ends.
        Optional<RunResult> result = started.execution().await(runs.deadline().plusSeconds(30));
        if (result.isEmpty()) {
            started.execution().cancel();
        }
        RunResult finished = outcome.join().result();
        return PistonStages.response(job.runtime(), finished, recorder.reachedRun, recorder.output());
    }

    /**
     * Collects stdout and stderr in the order they arrived (Piston's {@code output}), a whole line at a
     * time, so that a line of one stream is never cut by the other's; and whether the program started.
     */
    private static final class OutputRecorder implements RunListener {
        private final long maxChars;
        private final StringBuilder output = new StringBuilder();
        private final StringBuilder partialStdout = new StringBuilder();
        private final StringBuilder partialStderr = new StringBuilder();
        private boolean overflowed;
        volatile boolean reachedRun;

        OutputRecorder(long maxChars) {
            this.maxChars = maxChars;
        }

        @Override
        public void onPhase(Phase phase) {
            if (phase == Phase.RUNNING) {
                reachedRun = true;
            }
        }

        @Override
        public synchronized void onText(StreamKind stream, String text) {
            if (stream != StreamKind.STDOUT && stream != StreamKind.STDERR || overflowed) {
                return;
            }
            if (output.length() + partialStdout.length() + partialStderr.length() + text.length() > maxChars) {
                overflowed = true;
                output.setLength(0);
                partialStdout.setLength(0);
                partialStderr.setLength(0);
                return;
            }
            StringBuilder partial = stream == StreamKind.STDOUT ? partialStdout : partialStderr;
            partial.append(text);
            int end = partial.lastIndexOf("\n");
            if (end >= 0) {
                output.append(partial, 0, end + 1);
                partial.delete(0, end + 1);
            }
        }

        /** @return the interleaved output, or null when it grew past the output limit (then stdout + stderr is used) */
        synchronized String output() {
            return overflowed ? null : output.toString() + partialStdout + partialStderr;
        }
    }

    static JsonNode parseBody(String text) {
        if (text == null || text.isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            JsonNode node = Json.MAPPER.readTree(text);
            return node == null ? MissingNode.getInstance() : node;
        } catch (JsonProcessingException e) {
            throw PistonError.badRequest("the request body is not valid JSON");
        }
    }

    /** Runs a step that may fail the CloudRun way and answers its failure the Piston way. */
    static <T> T translated(Supplier<T> step) {
        try {
            return step.get();
        } catch (ApiError error) {
            throw new PistonError(error.status(), error.getMessage(), error.retryAfter().orElse(null));
        } catch (InvalidRequestException error) {
            throw PistonError.badRequest(error.getMessage());
        }
    }

    private void guardUpgrade(Context ctx) {
        if (!origins.hosts().allows(ctx.header("Host"))) {
            throw ApiError.of(421, "host_not_allowed", "this server does not answer to the host "
                    + ApiError.shown(ctx.header("Host")) + " (see CLOUDRUN_ALLOWED_HOSTS)");
        }
        if (!origins.allows(ctx.header("Origin"), ctx.header("Host"))) {
            throw ApiError.of(403, "origin_not_allowed", "requests from origin " + ApiError.shown(ctx.header("Origin"))
                    + " are not allowed (see CLOUDRUN_CORS_ORIGINS)");
        }
        upgradesPerAddress.tryAcquire(clients.of(ctx)).ifPresent(wait -> {
            throw ApiError.tooManyRequests("rate_limited", "too many requests from this address; slow down", wait);
        });
        // A credential is checked before the upgrade, so a wrong one gets a plain 401.
        Principal known = callers.authenticated(ctx);
        if (known != null) {
            ctx.attribute(PistonSocket.PRINCIPAL_ATTRIBUTE, known);
        }
    }

    RunService runs() {
        return runs;
    }

    PistonCallers callers() {
        return callers;
    }

    List<PistonRuntime> runtimes() {
        return runtimes;
    }

    Limits ceiling() {
        return ceiling;
    }

    /** Forgets idle rate-limit state. */
    public void evictIdle() {
        upgradesPerAddress.evictIdle();
    }
}
