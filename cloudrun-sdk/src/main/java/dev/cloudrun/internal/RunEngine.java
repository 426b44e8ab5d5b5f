package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.Status;
import dev.cloudrun.internal.packages.ModulePackageMap;
import dev.cloudrun.internal.packages.PackageCaches;
import dev.cloudrun.internal.packages.PackageSettings;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Validates requests, keeps them in a bounded, fair queue, and gives each a thread when one of the
 * runner's slots is free. One per {@link dev.cloudrun.CodeRunner}.
 *
 * <p>A waiting run costs a small record, never a thread: with 2 slots and 5,000 runs queued, the
 * engine holds 2 slot threads (and one stdin pump per running step). Every run that
 * {@link #start} accepted completes exactly once, whether it runs, is cancelled while it waits, or
 * the runner closes first; a run {@code start} refuses (invalid, queue full, runner closed) throws
 * before any listener call.
 */
public final class RunEngine {
    private static final Duration IDLE_THREAD_LIFETIME = Duration.ofSeconds(30);

    private final SandboxBackend backend;
    private final LanguageRegistry languages;
    private final Limits defaults;
    private final Limits ceiling;
    private final long workspaceBytes;
    private final int slots;
    private final int maxQueuedRuns;
    private final PackageContext packages;
    private final CompileCache compileCache;
    private final ThreadPoolExecutor slotThreads;
    private final ThreadPoolExecutor stdinPumps;

    private final Object lock = new Object();
    private final RunQueue<DefaultExecution> queue = new RunQueue<>();
    private final Set<DefaultExecution> running = new HashSet<>();
    /** Places promised to runs being announced (between the capacity check and entering the queue). */
    private int reserved;
    private boolean closed;

    /**
     * @param backend the sandbox backend
     * @param languages known languages
     * @param defaults limits for requests that set none
     * @param ceiling largest limits allowed
     * @param maxConcurrentRuns runs executing at once
     * @param maxQueuedRuns runs waiting at most; one more is refused with {@link QueueFullException}
     * @param workspaceBytes size of each run's writable workspace
     * @param packageSettings package indexes, install limits and the cache cap
     * @param compileCacheBytes the most the compile cache holds (0: no cache)
     */
    public RunEngine(SandboxBackend backend, LanguageRegistry languages, Limits defaults, Limits ceiling,
                     int maxConcurrentRuns, int maxQueuedRuns, long workspaceBytes, PackageSettings packageSettings,
                     long compileCacheBytes) {
        this.backend = backend;
        this.languages = languages;
        this.defaults = defaults;
        this.ceiling = ceiling;
        this.workspaceBytes = workspaceBytes;
        this.slots = maxConcurrentRuns;
        this.maxQueuedRuns = maxQueuedRuns;
        this.packages = new PackageContext(packageSettings, new PackageCaches(), ModulePackageMap.loadDefault());
        this.compileCache = new CompileCache(compileCacheBytes);
        // Never more threads than slots: the engine hands a run over only when a slot is free.
        this.slotThreads = new ThreadPoolExecutor(maxConcurrentRuns, maxConcurrentRuns,
                IDLE_THREAD_LIFETIME.toSeconds(), TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new NamedThreadFactory("run"));
        this.slotThreads.allowCoreThreadTimeOut(true);
        // One pump per running step, so at most about one per slot.
        this.stdinPumps = new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_THREAD_LIFETIME.toSeconds(),
                TimeUnit.SECONDS, new SynchronousQueue<>(), new NamedThreadFactory("stdin"));
    }

    /**
     * Validates a request and queues it.
     *
     * @param request what to run
     * @param listener where its events go
     * @return the execution
     * @throws dev.cloudrun.InvalidRequestException if the request is invalid
     * @throws QueueFullException if the queue is full
     * @throws CloudRunException if the runner is closed
     */
    public Execution start(RunRequest request, RunListener listener) {
        return start(request, listener, RunPlan.standard());
    }

    /**
     * Validates a request and queues it, to run as the plan says.
     *
     * @param request what to run
     * @param listener where its events go
     * @param plan compile only, run on precompiled artefacts, collect files
     * @return the execution
     * @throws dev.cloudrun.InvalidRequestException if the request is invalid
     * @throws QueueFullException if the queue is full
     * @throws CloudRunException if the runner is closed
     */
    public Execution start(RunRequest request, RunListener listener, RunPlan plan) {
        return start(request, listener, plan, backend);
    }

    /**
     * Validates a request and queues it, to run in a workspace's sandbox instead of a fresh one:
     * the normal run lifecycle, its steps started in the workspace.
     *
     * @param request what to run
     * @param listener where its events go
     * @param workspace the workspace's sandbox
     * @param mainFromTree whether the main file is the tree's own (not written: it runs as the tree holds it
     *     when the run gets its slot), rather than the request's source written into the tree
     * @return the execution
     * @throws dev.cloudrun.InvalidRequestException if the request is invalid
     * @throws QueueFullException if the queue is full
     * @throws CloudRunException if the runner is closed
     */
    public Execution startInWorkspace(RunRequest request, RunListener listener, dev.cloudrun.spi.WorkspaceSandbox workspace,
                                      boolean mainFromTree) {
        // The workspace holds more than the request's files: a cached compile of those alone would be wrong.
        RunRequest uncached = request.withCompileCache(false);
        String keep = null;
        if (mainFromTree) {
            keep = WorkspacePaths.normalize("mainFileName", request.mainFileName().orElseThrow(() ->
                    new dev.cloudrun.InvalidRequestException("mainFileName", "is required to run a file of the workspace's tree")));
        }
        return start(uncached, listener, RunPlan.standard(), new WorkspaceRunBackend(backend, workspace, keep));
    }

    private Execution start(RunRequest request, RunListener listener, RunPlan plan, SandboxBackend runBackend) {
        PreparedRun prepared = PreparedRun.of(request, languages, defaults, ceiling, workspaceBytes).with(plan);
        runBackend.checkLanguage(prepared.language());
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        DefaultExecution execution = new DefaultExecution(id, prepared, runBackend, listener, workspaceBytes, packages,
                compileCache, stdinPumps, this::dequeue);
        synchronized (lock) {
            if (closed) {
                throw new CloudRunException("this CodeRunner is closed");
            }
            if (queue.size() + reserved >= maxQueuedRuns) {
                throw new QueueFullException(maxQueuedRuns);
            }
            reserved++;
        }
        // QUEUED is told outside the lock (a listener may call back into the runner) and before the
        // run can get a slot, so it is always the first phase the listener hears.
        execution.announceQueued();
        boolean closedMeanwhile;
        synchronized (lock) {
            reserved--;
            closedMeanwhile = closed;
            if (!closedMeanwhile) {
                queue.add(execution, execution.fairnessKey());
            }
        }
        if (closedMeanwhile) {
            execution.finish(execution.result(Status.CANCELLED, "cancelled: the runner was closed before it started"));
        } else {
            dispatch();
        }
        return execution;
    }

    /** Hands queued runs to slot threads while slots are free. */
    private void dispatch() {
        while (true) {
            DefaultExecution next;
            synchronized (lock) {
                if (closed || running.size() >= slots) {
                    return;
                }
                next = queue.poll();
                if (next == null) {
                    return;
                }
                running.add(next);
            }
            try {
                slotThreads.execute(() -> runInSlot(next));
            } catch (RejectedExecutionException e) {
                synchronized (lock) {
                    running.remove(next);
                }
                next.finish(next.result(Status.CANCELLED, "cancelled: the runner was closed before it started"));
            }
        }
    }

    private void runInSlot(DefaultExecution execution) {
        try {
            execution.runInSlot();
        } finally {
            synchronized (lock) {
                running.remove(execution);
            }
            dispatch();
        }
    }

    /** @return whether the run was still waiting (it is no longer in the queue then) */
    private boolean dequeue(DefaultExecution execution) {
        synchronized (lock) {
            return queue.remove(execution);
        }
    }

    /** @return the languages runs may use */
    public LanguageRegistry languages() {
        return languages;
    }

    /** @return the limits of a request that sets none */
    public Limits defaultLimits() {
        return defaults;
    }

    /** @return the largest limits a request may set */
    public Limits ceilingLimits() {
        return ceiling;
    }

    /**
     * Empties a named package cache of every ecosystem.
     *
     * @param name the cache's name
     */
    public void clearPackageCache(String name) {
        for (Language language : languages.all()) {
            language.packageManager().ifPresent(manager -> {
                String key = PackageCaches.key(Optional.of(name), "", manager.ecosystem());
                ReentrantLock cacheLock = packages.caches().lock(key);
                cacheLock.lock();
                try {
                    backend.clearPackageCache(key);
                    packages.caches().forget(key);
                } finally {
                    cacheLock.unlock();
                }
            });
        }
    }

    /** @return what the compile cache holds and how often it served a run */
    public CompileCache.Stats compileCacheStats() {
        return compileCache.stats();
    }

    /** @return how many entries the package caches' book-keeping holds (for leak checks) */
    public int packageCacheEntries() {
        return packages.caches().entries();
    }

    /**
     * Refuses new runs, cancels the waiting ones, cancels those running and waits for them to clean
     * up, then stops the engine's threads.
     *
     * @param timeout how long to wait for running runs to clean up
     */
    public void close(Duration timeout) {
        List<DefaultExecution> waiting;
        List<DefaultExecution> active;
        synchronized (lock) {
            closed = true;
            waiting = queue.drain();
            active = new ArrayList<>(running);
        }
        for (DefaultExecution execution : waiting) {
            execution.finish(execution.result(Status.CANCELLED, "cancelled: the runner was closed before it started"));
        }
        active.forEach(DefaultExecution::cancel);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (DefaultExecution execution : active) {
            execution.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        // A run handed to the pool but not yet picked up still completes: it sees its cancel at once.
        slotThreads.shutdownNow().forEach(Runnable::run);
        stdinPumps.shutdownNow();
        try {
            slotThreads.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            stdinPumps.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
