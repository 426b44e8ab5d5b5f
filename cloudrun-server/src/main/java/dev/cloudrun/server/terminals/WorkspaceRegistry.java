package dev.cloudrun.server.terminals;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Terminal;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.WorkspaceSettings;
import dev.cloudrun.server.db.Project;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.projects.ProjectChanges;
import dev.cloudrun.server.projects.ProjectService;
import dev.cloudrun.server.runs.ProjectWorkspaces;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The open terminal workspaces: at most one SDK {@link Workspace} per project, shared by all of its
 * terminals, opened with the project's saved files and the limits of {@link WorkspaceSettings}. It
 * keeps the files in step ({@link FileSync}: editor saves go in at once, shell changes come out every
 * {@link #POLL_INTERVAL} while a terminal is open and when the last one ends), counts each user's
 * workspaces and terminals against their caps, hangs up a terminal whose socket stayed away longer
 * than the re-attach window, and closes a workspace left without terminals for the idle timeout
 * (after a last copy of its files; the project keeps them). Runs of a project whose workspace is
 * open run in it ({@link #lease}): they see the shells' files at once, what they write is copied
 * into the project when they end (and announced to the terminals), and while one goes on the
 * workspace is busy, so it is not closed or given up for being idle.
 */
public final class WorkspaceRegistry implements ProjectChanges, ProjectWorkspaces, AutoCloseable {
    /** How often the shells' file changes are looked for. */
    static final Duration POLL_INTERVAL = Duration.ofSeconds(2);
    /** Every how many polls every file's content is compared, not only its size. */
    static final int FULL_PASS_EVERY = 5;
    private static final Logger LOG = LoggerFactory.getLogger(WorkspaceRegistry.class);
    /** The language of a project that names none. */
    private static final String DEFAULT_LANGUAGE = "python";

    /** One project's open workspace. */
    private static final class Open {
        final String projectId;
        final String ownerId;
        final Workspace workspace;
        final FileSync sync;
        final Set<TerminalSession> terminals = new LinkedHashSet<>();
        /** Runs going on in it (guarded by the registry's lock). */
        int runs;
        /** Whether the next poll compares every file's content (a run ended; guarded by the registry's lock). */
        boolean fullPassDue;
        long idleSinceMillis;
        int polls;

        Open(String projectId, String ownerId, Workspace workspace, FileSync sync, long now) {
            this.projectId = projectId;
            this.ownerId = ownerId;
            this.workspace = workspace;
            this.sync = sync;
            this.idleSinceMillis = now;
        }
    }

    private final CodeRunner runner;
    private final String unavailable;
    private final ProjectService projects;
    private final WorkspaceSettings settings;
    private final long maxFileBytes;
    private final Clock clock;
    private final ScheduledExecutorService worker;
    private final Object lock = new Object();
    private final Map<String, Open> byProject = new HashMap<>();
    private final Map<String, TerminalSession> terminals = new HashMap<>();
    private boolean closed;

    /**
     * Creates the registry and starts its poll.
     *
     * @param runner opens workspaces, or null when no sandbox is available
     * @param unavailable why there is no runner (null if there is)
     * @param projects the saved projects
     * @param settings the limits
     * @param maxFileBytes the project's file limit (larger shell files are not saved)
     * @param clock tells the time
     */
    public WorkspaceRegistry(CodeRunner runner, String unavailable, ProjectService projects, WorkspaceSettings settings,
                             long maxFileBytes, Clock clock) {
        this.runner = runner;
        this.unavailable = unavailable;
        this.projects = projects;
        this.settings = settings;
        this.maxFileBytes = maxFileBytes;
        this.clock = clock;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "cloudrun-workspace-sync");
            thread.setDaemon(true);
            return thread;
        });
        pool.setRemoveOnCancelPolicy(true);
        this.worker = pool;
        long interval = POLL_INTERVAL.toMillis();
        worker.scheduleWithFixedDelay(this::tick, interval, interval, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts a shell in the project's workspace, opening the workspace if needed.
     *
     * @param user the caller
     * @param projectId the project (the caller's own)
     * @param columns the width
     * @param rows the height
     * @return the terminal
     * @throws ApiError {@code not_found}, {@code too_many_terminals}, {@code too_many_workspaces},
     *     {@code workspaces_unavailable}
     */
    public TerminalSession openTerminal(Principal user, String projectId, int columns, int rows) {
        Project project = projects.get(user, projectId).project();
        List<Open> reaped = new ArrayList<>();
        TerminalSession session;
        Open open;
        try {
            synchronized (lock) {
                if (closed) {
                    throw unavailable("the server is stopping");
                }
                long mine = terminals.values().stream().filter(terminal -> terminal.userId().equals(user.userId())).count();
                if (mine >= settings.maxTerminalsPerUser()) {
                    throw ApiError.of(429, "too_many_terminals", "you have " + mine + " terminals open, the most allowed ("
                            + settings.maxTerminalsPerUser() + "); close one first");
                }
                open = byProject.get(projectId);
                if (open != null && !open.workspace.isOpen()) {
                    byProject.remove(projectId);
                    open = null;
                }
                if (open == null) {
                    open = openWorkspace(user, project, reaped);
                }
                String id = "t" + UUID.randomUUID().toString().replace("-", "");
                session = new TerminalSession(id, user.userId(), projectId, this::ended);
                terminals.put(id, session);
                open.terminals.add(session);
            }
        } finally {
            reaped.forEach(this::closeAfterSync);
        }
        try {
            Terminal terminal = open.workspace.openTerminal(columns, rows, session);
            session.started(terminal);
            return session;
        } catch (CloudRunException e) {
            ended(session);
            throw unavailable("the shell could not start: " + e.getMessage());
        }
    }

    /**
     * Finds a terminal of the caller's to re-attach to.
     *
     * @param user the caller
     * @param projectId the project the socket is for
     * @param terminalId the terminal's id
     * @return the terminal
     * @throws ApiError {@code not_found} if there is no such terminal of this user and project (it ended,
     *     or its re-attach window passed)
     */
    public TerminalSession reattach(Principal user, String projectId, String terminalId) {
        synchronized (lock) {
            TerminalSession session = terminals.get(terminalId);
            if (session == null || !session.userId().equals(user.userId()) || !session.projectId().equals(projectId)) {
                throw ApiError.notFound("terminal");
            }
            return session;
        }
    }

    /**
     * The terminal's socket dropped: it is hung up unless a client re-attaches within the window.
     *
     * @param session the terminal
     */
    public void detached(TerminalSession session) {
        try {
            session.hangUpLater(worker.schedule(() -> {
                if (session.detached()) {
                    session.close();
                }
            }, settings.reattachWindow().toMillis(), TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            session.close();
        }
    }

    @Override
    public Optional<Lease> lease(String projectId) {
        Open open;
        synchronized (lock) {
            open = byProject.get(projectId);
            if (closed || open == null || !open.workspace.isOpen()) {
                return Optional.empty();
            }
            open.runs++;
        }
        return Optional.of(new RunLease(open));
    }

    /** One run's hold on a workspace: its end saves what it changed and restarts the idle clock. */
    private final class RunLease implements Lease {
        private final Open open;
        private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

        RunLease(Open open) {
            this.open = open;
        }

        @Override
        public Workspace workspace() {
            return open.workspace;
        }

        @Override
        public List<String> ended() {
            if (!ended.compareAndSet(false, true)) {
                return List.of();
            }
            synchronized (lock) {
                open.runs--;
                if (open.runs == 0 && open.terminals.isEmpty()) {
                    open.idleSinceMillis = clock.millis();
                }
                open.fullPassDue = true;
            }
            // At once the files whose size changed or that came or went, so the run's outcome can name them; the
            // next poll compares every file's content (a rewrite of the same size), once for a burst of runs.
            return syncOut(open, false);
        }
    }

    /** @return how many workspaces are open (for tests and health) */
    public int openWorkspaces() {
        synchronized (lock) {
            return byProject.size();
        }
    }

    /** Call with the lock held. */
    private Open openWorkspace(Principal user, Project project, List<Open> reaped) {
        List<Open> mine = byProject.values().stream().filter(open -> open.ownerId.equals(user.userId())).toList();
        int count = mine.size();
        for (Open open : mine) {
            if (count < settings.maxWorkspacesPerUser()) {
                break;
            }
            // A workspace with no terminal left makes room (its files are copied out before it closes).
            if (open.terminals.isEmpty() && open.runs == 0) {
                byProject.remove(open.projectId);
                reaped.add(open);
                count--;
            }
        }
        if (count >= settings.maxWorkspacesPerUser()) {
            throw ApiError.of(429, "too_many_workspaces", "you have terminals open in " + count + " projects, the most allowed ("
                    + settings.maxWorkspacesPerUser() + "); close the terminals of another project first");
        }
        if (runner == null) {
            throw unavailable(unavailable == null ? "no sandbox is available" : unavailable);
        }
        Map<String, byte[]> files = projects.loadForRun(user, project.id()).getValue();
        WorkspaceSpec spec = WorkspaceSpec.of(project.language() == null ? DEFAULT_LANGUAGE : project.language())
                .withFiles(files).withMemoryBytes(settings.memoryBytes()).withMaxProcesses(settings.maxProcesses())
                .withDiskBytes(Math.max(settings.diskBytes(), files.values().stream().mapToLong(f -> f.length).sum()))
                .withNetwork(settings.network())
                // The registry closes idle workspaces itself, after copying their files; this is a backstop.
                .withIdleTimeout(settings.idleTimeout().plus(Duration.ofMinutes(1)))
                .withMaxLifetime(settings.maxLifetime());
        Workspace workspace;
        try {
            workspace = runner.openWorkspace(spec);
        } catch (InvalidRequestException e) {
            throw ApiError.badField("invalid_request", e.field(), e.getMessage());
        } catch (CloudRunException e) {
            throw unavailable(e.getMessage());
        }
        Open open = new Open(project.id(), user.userId(), workspace,
                new FileSync(workspace, projects, user, project.id(), maxFileBytes, files), clock.millis());
        byProject.put(project.id(), open);
        LOG.info("opened workspace {} for project {}", workspace.id(), project.id());
        return open;
    }

    private void ended(TerminalSession session) {
        Open open;
        synchronized (lock) {
            terminals.remove(session.id());
            open = byProject.get(session.projectId());
            if (open == null || !open.terminals.remove(session)) {
                return;
            }
            if (open.terminals.isEmpty() && open.runs == 0) {
                open.idleSinceMillis = clock.millis();
            }
        }
        Open last = open;
        // The shell's last changes, before the workspace idles.
        submit(() -> syncOut(last, true));
    }

    private void tick() {
        Map<Open, Boolean> active = new java.util.LinkedHashMap<>();
        List<Open> idle = new ArrayList<>();
        long now = clock.millis();
        synchronized (lock) {
            for (Open open : new ArrayList<>(byProject.values())) {
                if (!open.workspace.isOpen()) {
                    byProject.remove(open.projectId);
                    open.terminals.forEach(terminal -> terminals.remove(terminal.id()));
                } else if (!open.terminals.isEmpty() || open.fullPassDue) {
                    active.put(open, open.fullPassDue || ++open.polls % FULL_PASS_EVERY == 0);
                    open.fullPassDue = false;
                } else if (open.runs == 0 && now - open.idleSinceMillis >= settings.idleTimeout().toMillis()) {
                    byProject.remove(open.projectId);
                    idle.add(open);
                }
            }
        }
        active.forEach(this::syncOut);
        idle.forEach(this::closeAfterSync);
    }

    /** @return the project paths saved or deleted because the workspace changed them */
    private List<String> syncOut(Open open, boolean full) {
        if (!open.workspace.isOpen()) {
            return List.of();
        }
        try {
            FileSync.Changes changes = open.sync.fromWorkspace(full);
            if (!changes.isEmpty()) {
                List<TerminalSession> watching;
                synchronized (lock) {
                    watching = new ArrayList<>(open.terminals);
                }
                watching.forEach(terminal -> terminal.filesChanged(changes.changed(), changes.skipped()));
            }
            return changes.changed();
        } catch (ApiError e) {
            if (e.status() == 404) {
                LOG.info("project {} is gone; closing its workspace", open.projectId);
                synchronized (lock) {
                    byProject.remove(open.projectId, open);
                }
                open.workspace.close();
            } else {
                LOG.warn("copying the files of workspace {} failed: {}", open.workspace.id(), e.getMessage());
            }
        } catch (RuntimeException e) {
            if (open.workspace.isOpen()) {
                LOG.warn("copying the files of workspace {} failed: {}", open.workspace.id(), e.toString());
            }
        }
        return List.of();
    }

    private void closeAfterSync(Open open) {
        syncOut(open, true);
        open.workspace.close();
        LOG.info("closed workspace {} of project {}", open.workspace.id(), open.projectId);
    }

    private void submit(Runnable task) {
        try {
            worker.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping: close() copies the files out itself.
        }
    }

    private Open current(String projectId) {
        synchronized (lock) {
            return byProject.get(projectId);
        }
    }

    @Override
    public void written(String projectId, String path, byte[] content) {
        Open open = current(projectId);
        if (open != null) {
            try {
                open.sync.written(path, content);
            } catch (RuntimeException e) {
                LOG.warn("a save could not be written into workspace {}: {}", open.workspace.id(), e.getMessage());
            }
        }
    }

    @Override
    public void deleted(String projectId, String path) {
        Open open = current(projectId);
        if (open != null) {
            try {
                open.sync.deleted(path);
            } catch (RuntimeException e) {
                LOG.warn("a delete could not reach workspace {}: {}", open.workspace.id(), e.getMessage());
            }
        }
    }

    @Override
    public void moved(String projectId, String from, String to) {
        Open open = current(projectId);
        if (open != null) {
            try {
                open.sync.moved(from, to);
            } catch (RuntimeException e) {
                LOG.warn("a rename could not reach workspace {}: {}", open.workspace.id(), e.getMessage());
            }
        }
    }

    /** The project is deleted: its workspace closes (its shells end), with nothing to copy back. */
    @Override
    public void removed(String projectId) {
        Open open;
        synchronized (lock) {
            open = byProject.remove(projectId);
        }
        if (open != null) {
            open.workspace.close();
            LOG.info("closed workspace {}: project {} was deleted", open.workspace.id(), projectId);
        }
    }

    private static ApiError unavailable(String why) {
        return ApiError.of(503, "workspaces_unavailable", "terminals are not available: " + why);
    }

    /** Copies every workspace's files out, then closes them all (their shells with them). */
    @Override
    public void close() {
        List<Open> all;
        synchronized (lock) {
            closed = true;
            all = new ArrayList<>(byProject.values());
            byProject.clear();
        }
        worker.shutdownNow();
        for (Open open : all) {
            try {
                closeAfterSync(open);
            } catch (RuntimeException e) {
                LOG.warn("closing workspace {} failed: {}", open.workspace.id(), e.toString());
            }
        }
    }
}
