package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.internal.packages.ModulePackageMap;
import dev.cloudrun.internal.packages.PackageCaches;
import dev.cloudrun.internal.packages.PackageSettings;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Validates requests, queues them for a free slot, and drives each run through its steps on the
 * backend. One per {@link dev.cloudrun.CodeRunner}.
 */
public final class RunEngine {
    private final SandboxBackend backend;
    private final LanguageRegistry languages;
    private final Limits defaults;
    private final Limits ceiling;
    private final long workspaceBytes;
    private final Semaphore slots;
    private final ExecutorService threads = Executors.newCachedThreadPool(new NamedThreadFactory("run"));
    private final Set<DefaultExecution> active = ConcurrentHashMap.newKeySet();
    private final PackageSettings packageSettings;
    private final PackageCaches packageCaches = new PackageCaches();
    private final ModulePackageMap modulePackages = ModulePackageMap.loadDefault();
    private volatile boolean closed;

    /**
     * @param backend the sandbox backend
     * @param languages known languages
     * @param defaults limits for requests that set none
     * @param ceiling largest limits allowed
     * @param maxConcurrentRuns runs executing at once
     * @param workspaceBytes size of each run's writable workspace
     * @param packageSettings package indexes, install limits and the cache cap
     */
    public RunEngine(SandboxBackend backend, LanguageRegistry languages, Limits defaults, Limits ceiling,
                     int maxConcurrentRuns, long workspaceBytes, PackageSettings packageSettings) {
        this.packageSettings = packageSettings;
        this.backend = backend;
        this.languages = languages;
        this.defaults = defaults;
        this.ceiling = ceiling;
        this.workspaceBytes = workspaceBytes;
        this.slots = new Semaphore(maxConcurrentRuns, true);
    }

    /**
     * Validates and starts a run.
     *
     * @param request what to run
     * @param listener where its events go
     * @return the execution
     */
    public Execution start(RunRequest request, RunListener listener) {
        if (closed) {
            throw new CloudRunException("this CodeRunner is closed");
        }
        PreparedRun prepared = PreparedRun.of(request, languages, defaults, ceiling, workspaceBytes);
        backend.checkLanguage(prepared.language());
        String id = UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        DefaultExecution execution = new DefaultExecution(id, prepared, backend, listener, slots, threads,
                workspaceBytes, active::remove, new PackageContext(packageSettings, packageCaches, modulePackages));
        active.add(execution);
        execution.queued();
        threads.execute(execution::run);
        return execution;
    }

    /**
     * Empties a named package cache of every ecosystem.
     *
     * @param name the cache's name
     */
    public void clearPackageCache(String name) {
        for (dev.cloudrun.Language language : languages.all()) {
            language.packageManager().ifPresent(manager -> {
                String key = PackageCaches.key(java.util.Optional.of(name), "", manager.ecosystem());
                java.util.concurrent.locks.ReentrantLock lock = packageCaches.lock(key);
                lock.lock();
                try {
                    backend.clearPackageCache(key);
                    packageCaches.forget(key);
                } finally {
                    lock.unlock();
                }
            });
        }
    }

    /**
     * Cancels everything still running and stops the engine's threads.
     *
     * @param timeout how long to wait for runs to clean up
     */
    public void close(Duration timeout) {
        closed = true;
        active.forEach(DefaultExecution::cancel);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (DefaultExecution execution : Set.copyOf(active)) {
            execution.await(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        threads.shutdownNow();
        try {
            threads.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
