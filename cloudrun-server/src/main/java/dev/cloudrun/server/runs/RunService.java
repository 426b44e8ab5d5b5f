package dev.cloudrun.server.runs;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Workspace;
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
 * deadline, and reports how it ended (with any missing dependency found in its stderr). A run of a
 * project whose terminal workspace is open ({@link ProjectWorkspaces}) runs in that workspace, on
 * its files as the shells left them; what it writes there is saved into the project before its
 * outcome is told.
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
     * @param workspaces the open terminal workspaces: a run of a project with one open runs in it
     */
    public RunService(CodeRunner runner, String unavailableReason, ProjectService projects, RunRepository history,
                      RunOutputRepository outputs, long outputKeepBytes, RunQuota quota, ScheduledExecutorService scheduler,
                      Duration deadline, Clock clock, boolean packageInstall, String packageCacheScope,
                      ProjectWorkspaces workspaces) {
        this.workspaces = workspaces;
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
     * @param inWorkspace whether it ran in the project's open terminal workspace
     * @param filesChanged project files the run created, changed or deleted, saved into the project before this
     *     outcome was told (only for a run in a workspace)
     */
    public record Outcome(String runId, RunResult result, List<String> missingDependencies, boolean inWorkspace,
                          List<String> filesChanged) { }

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
        ProjectWorkspaces.Lease lease = null;
        if (spec.projectId() != null) {
            // Only the owner's runs may enter a project's workspace: this answers 404 to anyone else.
            projects.get(user, spec.projectId());
            lease = workspaces.lease(spec.projectId()).orElse(null);
        }
        if (lease != null) {
            try {
                return startInWorkspace(user, address, spec, via, listener, onFinish, lease);
            } catch (WorkspaceGone e) {
                // It closed between the lease and the start (its lifetime ended, the server stops): run as without one.
                lease.ended();
            } catch (RuntimeException e) {
                lease.ended();
                throw e;
            }
        }
        Prepared prepared = prepare(user, spec, null);
        return startPrepared(user, address, colours(prepared.request(), via), prepared.language(), prepared.projectId(), via,
                true, listener, onFinish);
    }

    private StartedRun startInWorkspace(Principal user, String address, RunSpec spec, String via, RunListener listener,
                                        Consumer<Outcome> onFinish, ProjectWorkspaces.Lease lease) {
        Workspace workspace = lease.workspace();
        if (spec.autoInstall()) {
            throw ApiError.badField("workspace_open", "autoInstall", "this project has a terminal workspace open and its runs"
                    + " run there, where packages are not auto-installed: install them from its terminal (pip install --user"
                    + " NAME, npm install NAME) when the workspace has network, or run without autoInstall");
        }
        Prepared prepared = prepare(user, spec, workspace);
        // Python's byte-code caches would otherwise land in the tree, and from there in the project.
        RunRequest request = colours(prepared.request(), via).withFairnessKey("user:" + user.userId())
                .withEnv("PYTHONDONTWRITEBYTECODE", "1");
        return launch(user, address, request, prepared.language(), prepared.projectId(), via, true, listener, onFinish,
                lease, observed -> {
                    try {
                        return prepared.mainFromTree() ? workspace.startFromTree(request, observed) : workspace.start(request, observed);
                    } catch (CloudRunException e) {
                        if (!workspace.isOpen() && !(e instanceof InvalidRequestException) && !(e instanceof QueueFullException)) {
                            throw new WorkspaceGone();
                        }
                        throw e;
                    }
                });
    }

    /** The IDE's terminal understands ANSI colours: tell colour libraries so (none can detect a pipe as a TTY). */
    private static RunRequest colours(RunRequest request, String via) {
        return "websocket".equals(via) ? request.withEnv("FORCE_COLOR", "1").withEnv("TERM", "xterm-256color") : request;
    }

    /** The leased workspace closed before the run could start in it. */
    private static final class WorkspaceGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WorkspaceGone() {
            super(null, null, false, false);
        }
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
        return launch(user, address, request, language, projectId, via, record, listener, onFinish, null,
                observed -> runner.start(request.withFairnessKey("user:" + user.userId()), observed));
    }

    /**
     * Starts a run under the quota, records it, cancels it at the deadline and reports its end.
     *
     * @param lease the workspace it runs in, or null; ended (its changes saved) before {@code onFinish} hears
     * @param starter starts the run with the listener to use
     */
    private StartedRun launch(Principal user, String address, RunRequest request, Language language, String projectId,
                              String via, boolean record, RunListener listener, Consumer<Outcome> onFinish,
                              ProjectWorkspaces.Lease lease, java.util.function.Function<RunListener, Execution> starter) {
        RunQuota.Permit permit = quota.acquire(user, address);
        // The compatible APIs keep or return their own results: only CloudRun's own runs keep their output.
        boolean keepOutput = record && outputKeepBytes > 0 && ("websocket".equals(via) || "api".equals(via));
        RunOutputCapture capture = keepOutput ? new RunOutputCapture(listener, outputKeepBytes) : null;
        Execution execution;
        try {
            // The runner's queue serves users in turn: one user's batch does not hold up another's run.
            execution = starter.apply(capture != null ? capture : listener);
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
            List<String> filesChanged = List.of();
            if (lease != null) {
                try {
                    filesChanged = lease.ended();
                } catch (RuntimeException e) {
                    LOG.warn("could not save what run {} changed in its workspace: {}", execution.id(), e.toString());
                }
            }
            Outcome outcome = new Outcome(execution.id(), result, missingDependencies(language, result,
                    request.terminal() || request.stderrToStdout()), lease != null, filesChanged);
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

    /**
     * @param mainFromTree whether the main file is the workspace tree's own (run as the tree holds it, not written)
     */
    private record Prepared(RunRequest request, Language language, String projectId, boolean mainFromTree) { }

    private final boolean packageInstall;
    private final String packageCacheScope;

    /** @return whether clients may ask for missing packages to be installed */
    public boolean packageInstall() {
        return packageInstall;
    }

    private final ProjectWorkspaces workspaces;

    /**
     * Builds the request. Without a workspace, a project's saved files are the run's, with the inline files
     * laid over them. In the project's open workspace, the tree already holds the project's files (and what
     * its shells made): only the inline files are written into it (like a save), and the entry, unless given
     * inline, is the tree's own file, read from it.
     *
     * @param workspace the project's open workspace, or null
     */
    private Prepared prepare(Principal user, RunSpec spec, Workspace workspace) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        String entry = spec.entry();
        String languageName = spec.language();
        if (spec.projectId() != null) {
            Project project;
            if (workspace == null) {
                Map.Entry<Project, Map<String, byte[]>> saved = projects.loadForRun(user, spec.projectId());
                files.putAll(saved.getValue());
                project = saved.getKey();
            } else {
                project = projects.get(user, spec.projectId()).project();
            }
            entry = entry != null ? entry : project.entryPath();
            languageName = languageName != null ? languageName : project.language();
        }
        spec.files().forEach((path, content) -> files.put(ProjectPaths.normalize(ProjectPaths.fileField(path), path), content));
        if (entry != null) {
            entry = ProjectPaths.normalize("entry", entry);
        }
        byte[] mainSource;
        boolean mainFromTree = false;
        if (spec.source() != null) {
            mainSource = spec.source().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        } else {
            if (entry == null && files.size() == 1) {
                entry = files.keySet().iterator().next();
            }
            if (entry == null && files.isEmpty() && workspace != null) {
                entry = onlyFileOfTree(workspace);
            }
            if (entry == null) {
                throw ApiError.badField("missing_field", "entry", "entry (the file to run) is required when there are several files");
            }
            mainSource = files.remove(entry);
            if (mainSource == null && workspace != null) {
                mainSource = readFromTree(workspace, entry);
                mainFromTree = true;
            }
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
        return new Prepared(request, language, spec.projectId(), mainFromTree);
    }

    /** @return the path of the tree's only file (not counting the backends' temporary files), or null */
    private static String onlyFileOfTree(Workspace workspace) {
        List<String> files = workspace.list().stream().filter(entry -> !entry.directory())
                .map(dev.cloudrun.WorkspaceEntry::path)
                .filter(path -> !path.substring(path.lastIndexOf('/') + 1).startsWith(".cloudrun-"))
                .limit(2).toList();
        return files.size() == 1 ? files.get(0) : null;
    }

    /** @return the file's bytes in the workspace's tree, or null if it holds no such file */
    private static byte[] readFromTree(Workspace workspace, String path) {
        try {
            return workspace.read(path);
        } catch (InvalidRequestException e) {
            return null;
        }
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
        view.put("inWorkspace", outcome.inWorkspace());
        view.put("filesChanged", outcome.filesChanged());
        return view;
    }
}
