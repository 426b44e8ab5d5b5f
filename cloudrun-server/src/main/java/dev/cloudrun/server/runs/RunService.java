package dev.cloudrun.server.runs;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.db.Project;
import dev.cloudrun.server.db.RunOutputRepository;
import dev.cloudrun.server.db.RunRecord;
import dev.cloudrun.server.db.RunRepository;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.projects.ProjectPaths;
import dev.cloudrun.server.projects.ProjectService;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts runs for users through the SDK's {@link CodeRunner}: builds the request from a saved
 * project or inline files, enforces the user's quota, records the run, cancels it at the server's
 * deadline, and reports how it ended (with any missing dependency found in its stderr).
 */
public final class RunService {
    private static final Logger LOG = LoggerFactory.getLogger(RunService.class);

    private final CodeRunner runner;
    private final String unavailableReason;
    private final ProjectService projects;
    private final RunRepository history;
    private final RunOutputRepository outputs;
    private final long outputKeepBytes;
    private final RunQuota quota;
    private final ScheduledExecutorService scheduler;
    private final Duration deadline;
    private final Clock clock;

    /**
     * Creates the service.
     *
     * @param runner the SDK runner, or null when no sandbox could start
     * @param unavailableReason why there is no runner (shown to clients), or null
     * @param projects the project store
     * @param history the run history
     * @param outputs keeps recorded runs' output
     * @param outputKeepBytes the most output kept per recorded run started through the IDE or {@code POST /api/runs},
     *     in UTF-8 bytes; 0 keeps none
     * @param quota the per-user quota
     * @param scheduler runs deadline cancellations
     * @param deadline the longest any run may take, whatever it asked for
     * @param clock the time source
     * @param packageInstall whether clients may ask for auto-install
     * @param packageCacheScope {@code project} or {@code user}: whose runs share installed packages
     * @param refreshProject brings a project's saved files up to date before a run reads them (a terminal
     *     workspace open on it copies in what its shells changed), given the project id
     */
    public RunService(CodeRunner runner, String unavailableReason, ProjectService projects, RunRepository history,
                      RunOutputRepository outputs, long outputKeepBytes, RunQuota quota, ScheduledExecutorService scheduler,
                      Duration deadline, Clock clock, boolean packageInstall, String packageCacheScope,
                      java.util.function.Consumer<String> refreshProject) {
        this.refreshProject = refreshProject;
        this.packageInstall = packageInstall;
        this.packageCacheScope = packageCacheScope;
        this.runner = runner;
        this.unavailableReason = unavailableReason;
        this.projects = projects;
        this.history = history;
        this.outputs = outputs;
        this.outputKeepBytes = outputKeepBytes;
        this.quota = quota;
        this.scheduler = scheduler;
        this.deadline = deadline;
        this.clock = clock;
    }

    /**
     * How a run ended.
     *
     * @param runId the run id
     * @param result the SDK's result
     * @param missingDependencies modules the program failed to import, found in its stderr
     */
    public record Outcome(String runId, RunResult result, List<String> missingDependencies) { }

    /**
     * A started run.
     *
     * @param execution the SDK handle (stdin, cancel)
     * @param language the language id
     */
    public record StartedRun(Execution execution, String language) { }

    /** @return the longest any run may take */
    public Duration deadline() {
        return deadline;
    }

    /**
     * Starts a run.
     *
     * @param user the caller
     * @param address the caller's client address, for the per-address quota
     * @param spec what to run
     * @param via {@code websocket} or {@code api}, recorded in the history
     * @param listener receives live output
     * @param onFinish called once with the outcome, on an SDK thread
     * @return the started run
     * @throws ApiError on a bad request, an exceeded quota or no sandbox
     */
    public StartedRun start(Principal user, String address, RunSpec spec, String via, RunListener listener,
                            Consumer<Outcome> onFinish) {
        if (runner == null) {
            throw ApiError.of(503, "sandbox_unavailable", "no sandbox can run code on this server: " + unavailableReason);
        }
        Prepared prepared = prepare(user, spec);
        // The IDE's terminal understands ANSI colours: tell colour libraries so (none can detect a pipe as a TTY).
        RunRequest request = "websocket".equals(via)
                ? prepared.request().withEnv("FORCE_COLOR", "1").withEnv("TERM", "xterm-256color")
                : prepared.request();
        return startPrepared(user, address, request, prepared.language(), prepared.projectId(), via, true, listener, onFinish);
    }

    /**
     * Starts a request built by the caller (the compatible APIs build theirs from their own fields),
     * under the same quotas, queue, deadline and history as every other run.
     *
     * @param user the caller (for a caller without an account, a stand-in whose id names its quota)
     * @param address the caller's client address, for the per-address quota
     * @param request what to run
     * @param language its language
     * @param projectId the saved project it runs, or null
     * @param via what started it, recorded in the history
     * @param record whether it enters the history (false for a caller without an account)
     * @param listener receives live output
     * @param onFinish called once with the outcome, on an SDK thread
     * @return the started run
     * @throws ApiError 429 for an exceeded quota, 503 {@code queue_full} or {@code sandbox_unavailable}
     */
    public StartedRun startPrepared(Principal user, String address, RunRequest request, Language language, String projectId,
                                    String via, boolean record, RunListener listener, Consumer<Outcome> onFinish) {
        if (runner == null) {
            throw ApiError.of(503, "sandbox_unavailable", "no sandbox can run code on this server: " + unavailableReason);
        }
        RunQuota.Permit permit = quota.acquire(user, address);
        // The compatible APIs keep or return their own results: only CloudRun's own runs keep their output.
        boolean keepOutput = record && outputKeepBytes > 0 && ("websocket".equals(via) || "api".equals(via));
        RunOutputCapture capture = keepOutput ? new RunOutputCapture(listener, outputKeepBytes) : null;
        Execution execution;
        try {
            // The runner's queue serves users in turn: one user's batch does not hold up another's run.
            execution = runner.start(request.withFairnessKey("user:" + user.userId()), capture != null ? capture : listener);
        } catch (QueueFullException e) {
            permit.release();
            throw ApiError.of(503, "queue_full", "the server has too many runs waiting; try again in a minute");
        } catch (RuntimeException e) {
            permit.release();
            throw e;
        }
        long startedAt = clock.millis();
        try {
            if (record) {
                history.insertStarted(new RunRecord(execution.id(), user.userId(), projectId, language.id(),
                        request.mainFileName().orElse(null), via, "RUNNING", null, null, null, null, null, null, null,
                        startedAt, null));
            }
        } catch (RuntimeException e) {
            execution.cancel();
            permit.release();
            throw e;
        }
        ScheduledFuture<?> timeout = scheduler.schedule(execution::cancel, deadline.toMillis(), TimeUnit.MILLISECONDS);
        execution.result().whenComplete((result, failure) -> {
            timeout.cancel(false);
            permit.release();
            Outcome outcome = new Outcome(execution.id(), result, missingDependencies(language, result,
                    request.terminal() || request.stderrToStdout()));
            if (record) {
                try {
                    history.complete(new RunRecord(execution.id(), user.userId(), projectId, language.id(), null, via,
                            result.status().name(), result.exitCode(), result.wallTime().toMillis(), result.cpuTime().toMillis(),
                            result.memoryBytes(), (long) result.stdoutBytes().length, (long) result.stderrBytes().length,
                            truncate(result.message(), 1000), startedAt, clock.millis()));
                } catch (RuntimeException e) {
                    LOG.error("could not record the end of run {}", execution.id(), e);
                }
                if (capture != null) {
                    try {
                        outputs.save(capture.output(execution.id(), user.userId(), projectId, clock.millis()));
                    } catch (RuntimeException e) {
                        LOG.error("could not keep the output of run {}", execution.id(), e);
                    }
                }
            }
            onFinish.accept(outcome);
        });
        return new StartedRun(execution, language.id());
    }

    private record Prepared(RunRequest request, Language language, String projectId) { }

    private final boolean packageInstall;
    private final String packageCacheScope;

    /** @return whether clients may ask for missing packages to be installed */
    public boolean packageInstall() {
        return packageInstall;
    }

    private final java.util.function.Consumer<String> refreshProject;

    private Prepared prepare(Principal user, RunSpec spec) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        String entry = spec.entry();
        String languageName = spec.language();
        if (spec.projectId() != null) {
            refreshProject.accept(spec.projectId());
            Map.Entry<Project, Map<String, byte[]>> saved = projects.loadForRun(user, spec.projectId());
            files.putAll(saved.getValue());
            entry = entry != null ? entry : saved.getKey().entryPath();
            languageName = languageName != null ? languageName : saved.getKey().language();
        }
        spec.files().forEach((path, content) -> files.put(ProjectPaths.normalize(ProjectPaths.fileField(path), path), content));
        if (entry != null) {
            entry = ProjectPaths.normalize("entry", entry);
        }
        byte[] mainSource;
        if (spec.source() != null) {
            mainSource = spec.source().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            if (entry == null && files.size() == 1) {
                entry = files.keySet().iterator().next();
            }
            if (entry == null) {
                throw ApiError.badField("missing_field", "entry", "entry (the file to run) is required when there are several files");
            }
            mainSource = files.remove(entry);
            if (mainSource == null) {
                throw ApiError.badField("invalid_field", "entry", "there is no file '" + entry + "' to run");
            }
        }
        Language language = resolveLanguage(languageName, entry);
        RunRequest request = RunRequest.of(language.id(), mainSource);
        if (entry != null) {
            request = request.withMainFileName(entry);
        }
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            request = request.withFile(file.getKey(), file.getValue());
        }
        if (spec.stdin() != null) {
            request = request.withStdin(spec.stdin());
        } else if (spec.interactive()) {
            request = request.withInteractiveStdin();
        }
        request = request.withArgs(spec.args());
        if (spec.terminal()) {
            request = request.withTerminal();
        }
        if (spec.wallTime() != null) {
            Duration wallTime = spec.wallTime();
            request = request.withLimits(limits -> limits.withWallTime(wallTime));
        }
        if (spec.memoryBytes() != null) {
            long memoryBytes = spec.memoryBytes();
            request = request.withLimits(limits -> limits.withMemoryBytes(memoryBytes));
        }
        // Installed packages are kept per project (or per user), so the next run needs no install.
        request = request.withPackageCache(packageCacheScope.equals("project") && spec.projectId() != null
                ? "project-" + spec.projectId() : "user-" + user.userId());
        if (spec.autoInstall()) {
            if (!packageInstall) {
                throw ApiError.badField("forbidden", "autoInstall", "installing packages is turned off on this server");
            }
            request = request.withAutoInstall();
        }
        return new Prepared(request, language, spec.projectId());
    }

    private Language resolveLanguage(String name, String entry) {
        if (name != null) {
            return runner.languages().find(name).orElseThrow(() ->
                    ApiError.badField("invalid_field", "language", "unknown language '" + name + "' (see GET /api/languages)"));
        }
        if (entry != null) {
            String fileName = entry.substring(entry.lastIndexOf('/') + 1);
            return runner.languages().forFileName(fileName).orElseThrow(() ->
                    ApiError.badField("missing_field", "language", "cannot tell the language of '" + entry + "'; give language"));
        }
        throw ApiError.badField("missing_field", "language", "language is required");
    }

    /**
     * Finds modules a program failed to import, with its language's patterns.
     *
     * @param language the language
     * @param result the result
     * @param oneStream whether the program's stderr was its stdout (terminal mode, or stderr sent to stdout)
     * @return module names, without duplicates
     */
    static List<String> missingDependencies(Language language, RunResult result, boolean oneStream) {
        Set<String> modules = new LinkedHashSet<>();
        String stderr = oneStream ? result.stdout() : result.stderr();
        for (Pattern pattern : language.missingDependencyPatterns()) {
            Matcher matcher = pattern.matcher(stderr);
            while (matcher.find()) {
                if (matcher.groupCount() >= 1 && matcher.group(1) != null) {
                    modules.add(matcher.group(1));
                }
            }
        }
        return new ArrayList<>(modules);
    }

    private static String truncate(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }

    /**
     * The JSON view of a result shared by the WebSocket {@code finished} message and {@code POST /api/runs}.
     *
     * @param outcome the outcome
     * @return the fields
     */
    public static Map<String, Object> describe(Outcome outcome) {
        RunResult result = outcome.result();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("runId", outcome.runId());
        view.put("language", result.language());
        view.put("status", result.status().name());
        view.put("exitCode", result.exitCode());
        view.put("signal", result.signal().orElse(null));
        view.put("wallTimeMs", result.wallTime().toMillis());
        view.put("cpuTimeMs", result.cpuTime().toMillis());
        view.put("memoryBytes", result.memoryBytes());
        view.put("stdoutBytes", result.stdoutBytes().length);
        view.put("stderrBytes", result.stderrBytes().length);
        view.put("stdoutTruncated", result.stdoutTruncated());
        view.put("stderrTruncated", result.stderrTruncated());
        view.put("compilerOutput", result.compilerOutput());
        view.put("compileCached", result.compileCached());
        view.put("message", result.message());
        view.put("missingDependencies", outcome.missingDependencies());
        view.put("missingPackages", result.missingPackages());
        return view;
    }
}
