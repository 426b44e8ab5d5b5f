package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.WorkspaceSandbox;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's side of a {@link Workspace}: checks paths as runs do, keeps the book of its terminals
 * and runs, closes itself after its idle timeout (counted from when the last terminal ended and no
 * run goes on) or its maximum lifetime, and closes everything when it closes. Runs go through the
 * {@link RunEngine} (queue, steps, supervision), their steps started in the workspace's sandbox.
 * Each terminal's listener is called by one thread at a time, its output in order, then its end.
 */
public final class WorkspaceSession implements Workspace {
    private static final Logger LOG = LoggerFactory.getLogger(WorkspaceSession.class);
    /** The largest terminal a client may ask for, in columns and in rows. */
    static final int MAX_TERMINAL_SIDE = 1000;
    /** The most terminals one workspace has open at once (a client opening 100 meets this first). */
    public static final int MAX_TERMINALS = 32;
    private static final ThreadFactory WATCHERS = new NamedThreadFactory("terminal");

    private final String id;
    private final WorkspaceSandbox sandbox;
    private final RunEngine engine;
    private final ScheduledExecutorService timers;
    private final Duration idleTimeout;
    private final Runnable onClosed;
    private final Set<ShellTerminal> terminals = ConcurrentHashMap.newKeySet();
    private final Set<Execution> runs = ConcurrentHashMap.newKeySet();

    private boolean closed;
    /** Runs between their start and their result (guarded by this). */
    private int runsGoing;
    private ScheduledFuture<?> idleClose;
    private final ScheduledFuture<?> lifetimeClose;

    /**
     * Takes over an open workspace sandbox; the idle clock starts now.
     *
     * @param id the workspace's id
     * @param sandbox its sandbox, closed with it
     * @param engine the runner's engine, for runs
     * @param timers where the idle timeout and maximum lifetime are counted
     * @param idleTimeout how long it stays open with no terminal and no run
     * @param maxLifetime how long it stays open at most
     * @param onClosed told once, when it has closed
     */
    public WorkspaceSession(String id, WorkspaceSandbox sandbox, RunEngine engine, ScheduledExecutorService timers,
                            Duration idleTimeout, Duration maxLifetime, Runnable onClosed) {
        this.id = id;
        this.sandbox = sandbox;
        this.engine = engine;
        this.timers = timers;
        this.idleTimeout = idleTimeout;
        this.onClosed = onClosed;
        synchronized (this) {
            this.lifetimeClose = timers.schedule(() -> expire("its maximum lifetime of " + maxLifetime + " passed"),
                    maxLifetime.toNanos(), TimeUnit.NANOSECONDS);
            rearmIdle();
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Terminal openTerminal(int columns, int rows, TerminalListener listener) {
        checkSize(columns, rows);
        Objects.requireNonNull(listener, "listener");
        ShellTerminal terminal = new ShellTerminal(listener);
        synchronized (this) {
            checkOpen();
            if (terminals.size() >= MAX_TERMINALS) {
                throw new CloudRunException("workspace " + id + " has " + MAX_TERMINALS
                        + " terminals open, the most it may have: close one first");
            }
            terminals.add(terminal);
            cancelIdle();
        }
        try {
            terminal.start(sandbox.openTerminal(columns, rows, terminal::output));
        } catch (RuntimeException e) {
            ended(terminal);
            throw e;
        }
        return terminal;
    }

    @Override
    public RunResult run(RunRequest request, RunListener listener) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        synchronized (this) {
            checkOpen();
            runsGoing++;
            cancelIdle();
        }
        Execution execution = null;
        try {
            // Outside the lock: starting tells the listener QUEUED, and a listener may call back.
            execution = engine.startInWorkspace(request, listener, sandbox);
            boolean closedMeanwhile;
            synchronized (this) {
                runs.add(execution);
                closedMeanwhile = closed;
            }
            if (closedMeanwhile) {
                execution.cancel();
            }
            return execution.await();
        } catch (RuntimeException e) {
            // The caller stopped waiting (its thread was interrupted): the run stops with it.
            if (execution != null) {
                execution.cancel();
            }
            throw e;
        } finally {
            synchronized (this) {
                runsGoing--;
                if (execution != null) {
                    runs.remove(execution);
                }
                rearmIdle();
            }
        }
    }

    @Override
    public List<WorkspaceEntry> list() {
        checkOpenNow();
        return sandbox.list();
    }

    @Override
    public byte[] read(String path) {
        String checked = WorkspacePaths.normalize("path", path);
        checkOpenNow();
        return sandbox.read(checked);
    }

    @Override
    public void write(String path, byte[] content) {
        String checked = WorkspacePaths.normalize("path", path);
        Objects.requireNonNull(content, "content");
        checkOpenNow();
        sandbox.write(checked, content);
    }

    @Override
    public void delete(String path) {
        String checked = WorkspacePaths.normalize("path", path);
        checkOpenNow();
        sandbox.delete(checked);
    }

    @Override
    public void rename(String from, String to) {
        String source = WorkspacePaths.normalize("from", from);
        String target = WorkspacePaths.normalize("to", to);
        if (target.equals(source) || target.startsWith(source + "/")) {
            throw new InvalidRequestException("to", "cannot move '" + source + "' into itself");
        }
        checkOpenNow();
        sandbox.rename(source, target);
    }

    @Override
    public synchronized boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        List<ShellTerminal> open;
        List<Execution> going;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            cancelIdle();
            lifetimeClose.cancel(false);
            open = List.copyOf(terminals);
            going = List.copyOf(runs);
        }
        going.forEach(Execution::cancel);
        open.forEach(ShellTerminal::close);
        try {
            // Kills every process left (daemons, ones ignoring SIGHUP) and removes the sandbox.
            sandbox.close();
        } finally {
            onClosed.run();
        }
    }

    private void expire(String why) {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        LOG.info("workspace {} closes: {}", id, why);
        try {
            close();
        } catch (RuntimeException e) {
            LOG.warn("workspace {} did not close cleanly: {}", id, e.toString());
        }
    }

    private void ended(ShellTerminal terminal) {
        synchronized (this) {
            terminals.remove(terminal);
            rearmIdle();
        }
    }

    /** Starts the idle clock when nothing goes on; call with the lock held. */
    private void rearmIdle() {
        if (closed || !terminals.isEmpty() || runsGoing > 0 || (idleClose != null && !idleClose.isDone())) {
            return;
        }
        idleClose = timers.schedule(() -> {
            synchronized (this) {
                if (!terminals.isEmpty() || runsGoing > 0) {
                    return;
                }
            }
            expire("idle for " + idleTimeout);
        }, idleTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelIdle() {
        if (idleClose != null) {
            idleClose.cancel(false);
            idleClose = null;
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new CloudRunException("workspace " + id + " is closed");
        }
    }

    private synchronized void checkOpenNow() {
        checkOpen();
    }

    private static void checkSize(int columns, int rows) {
        if (columns < 1 || columns > MAX_TERMINAL_SIDE) {
            throw new InvalidRequestException("columns", "must be between 1 and " + MAX_TERMINAL_SIDE + ", was " + columns);
        }
        if (rows < 1 || rows > MAX_TERMINAL_SIDE) {
            throw new InvalidRequestException("rows", "must be between 1 and " + MAX_TERMINAL_SIDE + ", was " + rows);
        }
    }

    /** One shell: its listener behind a lock, and a thread that waits for its end. */
    private final class ShellTerminal implements Terminal {
        private final TerminalListener listener;
        private final CompletableFuture<Integer> status = new CompletableFuture<>();
        private volatile TerminalProcess process;

        ShellTerminal(TerminalListener listener) {
            this.listener = listener;
        }

        void start(TerminalProcess started) {
            this.process = started;
            Thread watcher = WATCHERS.newThread(this::watch);
            watcher.start();
        }

        /** From the backend's reader; copies, as the buffer is the backend's. */
        void output(byte[] data, int offset, int length) {
            byte[] copy = java.util.Arrays.copyOfRange(data, offset, offset + length);
            synchronized (this) {
                try {
                    listener.output(copy);
                } catch (RuntimeException e) {
                    LOG.warn("a terminal listener of workspace {} failed: {}", id, e.toString());
                }
            }
        }

        private void watch() {
            int exit;
            try {
                OptionalInt ended = OptionalInt.empty();
                while (ended.isEmpty()) {
                    ended = process.await(Duration.ofHours(1));
                }
                exit = ended.getAsInt();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.hangUp();
                exit = 129;
            } catch (RuntimeException e) {
                LOG.warn("a terminal of workspace {} failed: {}", id, e.toString());
                process.hangUp();
                exit = 255;
            }
            synchronized (this) {
                try {
                    listener.exited(exit);
                } catch (RuntimeException e) {
                    LOG.warn("a terminal listener of workspace {} failed: {}", id, e.toString());
                }
            }
            status.complete(exit);
            ended(this);
        }

        @Override
        public void write(byte[] keystrokes) {
            Objects.requireNonNull(keystrokes, "keystrokes");
            if (status.isDone() || process == null) {
                throw new CloudRunException("the terminal has ended");
            }
            try {
                process.input().write(keystrokes);
                process.input().flush();
            } catch (IOException e) {
                throw new CloudRunException("the terminal has ended", e);
            }
        }

        @Override
        public void resize(int columns, int rows) {
            checkSize(columns, rows);
            if (!status.isDone() && process != null) {
                process.resize(columns, rows);
            }
        }

        @Override
        public OptionalInt await(Duration timeout) throws InterruptedException {
            try {
                return OptionalInt.of(status.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                return OptionalInt.empty();
            } catch (ExecutionException e) {
                throw new CloudRunException("the terminal failed", e.getCause());
            }
        }

        @Override
        public boolean isOpen() {
            return !status.isDone();
        }

        @Override
        public void close() {
            if (process != null) {
                process.hangUp();
            }
        }
    }
}
