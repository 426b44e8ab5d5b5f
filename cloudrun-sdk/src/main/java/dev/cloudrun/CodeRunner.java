package dev.cloudrun;

import dev.cloudrun.internal.Backends;
import dev.cloudrun.internal.RunEngine;
import dev.cloudrun.internal.packages.PackageSettings;
import dev.cloudrun.spi.SandboxBackend;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The entry point: runs untrusted programs in a sandbox with hard limits and live output.
 * Create one per application, share it between threads, and close it at shutdown.
 *
 * <pre>{@code
 * try (CodeRunner runner = CodeRunner.create()) {
 *     RunResult result = runner.run(RunRequest.of("python", "print(6 * 7)"));
 *     System.out.println(result.status() + " " + result.stdout());   // OK 42
 * }
 * }</pre>
 *
 * <p>Configure everything in one place with {@link #create(Consumer)}:
 *
 * <pre>{@code
 * CodeRunner runner = CodeRunner.create(config -> config
 *         .backend(BackendKind.LOCAL)
 *         .defaultLimits(Limits.defaults().withMemoryBytes(128L << 20))
 *         .maxConcurrentRuns(8));
 * }</pre>
 */
public final class CodeRunner implements AutoCloseable {
    private final SandboxBackend backend;
    private final RunEngine engine;
    private final Config config;
    /** The open workspaces; also the lock for {@link #closed} and {@link #timers}. */
    private final java.util.Set<Workspace> workspaces = new java.util.HashSet<>();
    private boolean closed;
    private java.util.concurrent.ScheduledExecutorService timers;

    private CodeRunner(Config config) {
        config.defaultLimits.validateAgainst(config.maxLimits);
        if (config.maxConcurrentRuns < 1) {
            throw new InvalidRequestException("maxConcurrentRuns", "must be at least 1, was " + config.maxConcurrentRuns);
        }
        if (config.maxQueuedRuns < 1) {
            throw new InvalidRequestException("maxQueuedRuns", "must be at least 1, was " + config.maxQueuedRuns);
        }
        this.config = config;
        this.backend = config.backendInstance != null ? config.backendInstance
                : Backends.create(config.backend, config.maxConcurrentRuns, config.allowUnfencedNetwork);
        this.engine = new RunEngine(backend, config.languages, config.defaultLimits, config.maxLimits,
                config.maxConcurrentRuns, config.maxQueuedRuns, config.workspaceBytes,
                new PackageSettings(config.packageIndexes, config.installLimits,
                        config.packageCacheMaxBytes), config.compileCacheBytes);
    }

    /**
     * A runner with the default configuration: the best backend available, default limits, and
     * as many concurrent runs as the machine has processors.
     *
     * @return the runner
     * @throws BackendUnavailableException if no sandbox can run on this host, with how to fix it
     */
    public static CodeRunner create() {
        return create(config -> { });
    }

    /**
     * A runner configured by the given function.
     *
     * @param configurer sets options on the configuration
     * @return the runner
     * @throws BackendUnavailableException if the chosen backend cannot run on this host
     * @throws InvalidRequestException if an option is out of range
     */
    public static CodeRunner create(Consumer<Config> configurer) {
        Config config = new Config();
        configurer.accept(config);
        return new CodeRunner(config);
    }

    /**
     * Runs a program and waits for its result.
     *
     * @param request what to run
     * @return the result; a failing program is a status, not an exception
     * @throws InvalidRequestException if the request is invalid (nothing runs then)
     * @throws QueueFullException if the runner's queue is full
     */
    public RunResult run(RunRequest request) {
        return run(request, RunListener.NONE);
    }

    /**
     * Runs a program, streaming its output to a listener, and waits for its result.
     *
     * @param request what to run
     * @param listener receives output and phase changes as they happen
     * @return the result
     * @throws InvalidRequestException if the request is invalid (nothing runs then)
     */
    public RunResult run(RunRequest request, RunListener listener) {
        try (Execution execution = start(request, listener)) {
            return execution.await();
        }
    }

    /**
     * Runs a program in the background.
     *
     * @param request what to run
     * @return a future completed with the result
     * @throws InvalidRequestException if the request is invalid (nothing runs then)
     * @throws QueueFullException if {@link Config#maxQueuedRuns(int)} runs are already waiting
     */
    public CompletableFuture<RunResult> runAsync(RunRequest request) {
        return start(request, RunListener.NONE).result();
    }

    /**
     * Starts a program and returns at once with a handle for stdin, cancelling and waiting. The run
     * waits in the runner's queue ({@link Phase#QUEUED}, no thread held) until a slot is free; the
     * queue serves {@link RunRequest#withFairnessKey(String) fairness groups} in turn, first come
     * first served within each. Every run this returns completes exactly once.
     *
     * @param request what to run
     * @param listener receives output and phase changes as they happen
     * @return the execution; close it to cancel
     * @throws InvalidRequestException if the request is invalid (nothing runs then)
     * @throws QueueFullException if {@link Config#maxQueuedRuns(int)} runs are already waiting (nothing runs then)
     * @throws CloudRunException if the runner is closed
     */
    public Execution start(RunRequest request, RunListener listener) {
        return engine.start(Objects.requireNonNull(request, "request"), Objects.requireNonNull(listener, "listener"));
    }

    /** Starts a run shaped by a plan: the {@link Grader}'s compile-once path, not part of the API. */
    Execution start(RunRequest request, RunListener listener, dev.cloudrun.internal.RunPlan plan) {
        return engine.start(Objects.requireNonNull(request, "request"), Objects.requireNonNull(listener, "listener"),
                plan);
    }

    /** @return the languages this runner knows */
    public LanguageRegistry languages() {
        return config.languages;
    }

    /** @return the limits used when a request sets none */
    public Limits defaultLimits() {
        return config.defaultLimits;
    }

    /** @return the largest limits a request may ask for */
    public Limits maxLimits() {
        return config.maxLimits;
    }

    /** @return the name of the backend in use, such as {@code docker} or {@code local} */
    public String backendName() {
        return backend.name();
    }

    /**
     * Empties a named package cache ({@link RunRequest#withPackageCache(String)}), waiting for an
     * install into it to finish first.
     *
     * @param name the cache's name
     */
    public void clearPackageCache(String name) {
        engine.clearPackageCache(name);
    }

    /**
     * Destroys the sandboxes the backend prepared ahead of demand (the local backend's pre-started
     * interpreters) that no run holds, to give their memory back; they are prepared again as runs come.
     */
    public void releaseIdle() {
        backend.releaseIdle();
    }

    /**
     * Opens a terminal workspace: a long-lived sandbox for one project, with shells on
     * pseudo-terminals and runs against its files ({@link Workspace}).
     *
     * @param spec its language, files and limits (capped by nothing but the spec: the caller,
     *     for example the server, applies its own ceilings)
     * @return the workspace; close it when done
     * @throws BackendUnavailableException if the backend has no workspaces
     * @throws InvalidRequestException if the language or a file path is not acceptable
     */
    public Workspace openWorkspace(WorkspaceSpec spec) {
        Objects.requireNonNull(spec, "spec");
        Language language = config.languages.require(spec.language());
        backend.checkLanguage(language);
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        long total = 0;
        for (Map.Entry<String, byte[]> file : spec.files().entrySet()) {
            String path = dev.cloudrun.internal.WorkspacePaths.normalize("files", file.getKey());
            if (files.put(path, file.getValue()) != null) {
                throw new InvalidRequestException("files", "two files have the path " + path);
            }
            total += file.getValue().length;
        }
        if (total > spec.diskBytes()) {
            throw new InvalidRequestException("files", "hold " + total + " bytes, more than diskBytes (" + spec.diskBytes() + ")");
        }
        String id = "ws" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 14);
        synchronized (workspaces) {
            if (closed) {
                throw new CloudRunException("this CodeRunner is closed");
            }
        }
        dev.cloudrun.spi.WorkspaceSandbox sandbox = backend.openWorkspace(new dev.cloudrun.spi.WorkspaceSandboxSpec(id,
                language, files, spec.memoryBytes(), spec.maxProcesses(), spec.cpus(), spec.diskBytes(), spec.network(),
                java.util.List.of()));
        dev.cloudrun.internal.WorkspaceSession[] made = new dev.cloudrun.internal.WorkspaceSession[1];
        made[0] = new dev.cloudrun.internal.WorkspaceSession(id, sandbox, engine, timers(), spec.idleTimeout(),
                spec.maxLifetime(), () -> {
                    synchronized (workspaces) {
                        workspaces.remove(made[0]);
                    }
                });
        boolean lateClose;
        synchronized (workspaces) {
            lateClose = closed;
            if (!lateClose) {
                workspaces.add(made[0]);
            }
        }
        if (lateClose) {
            made[0].close();
            throw new CloudRunException("this CodeRunner is closed");
        }
        return made[0];
    }

    private java.util.concurrent.ScheduledExecutorService timers() {
        synchronized (workspaces) {
            if (timers == null) {
                java.util.concurrent.ScheduledThreadPoolExecutor pool = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
                        new dev.cloudrun.internal.NamedThreadFactory("workspace-timer"));
                pool.setRemoveOnCancelPolicy(true);
                timers = pool;
            }
            return timers;
        }
    }

    /**
     * Closes the open workspaces, cancels runs still going, waits briefly for them to clean up, and
     * releases the backend.
     */
    @Override
    public void close() {
        java.util.List<Workspace> open;
        synchronized (workspaces) {
            closed = true;
            open = java.util.List.copyOf(workspaces);
        }
        open.forEach(Workspace::close);
        engine.close(Duration.ofSeconds(10));
        synchronized (workspaces) {
            if (timers != null) {
                timers.shutdownNow();
            }
        }
        backend.close();
    }

    /** Options for {@link CodeRunner#create(Consumer)}. */
    public static final class Config {
        private BackendKind backend = BackendKind.AUTO;
        private SandboxBackend backendInstance;
        private Limits defaultLimits = Limits.defaults();
        private Limits maxLimits = Limits.defaultCeiling();
        private int maxConcurrentRuns = Math.max(2, Runtime.getRuntime().availableProcessors());
        private int maxQueuedRuns = 10_000;
        private long workspaceBytes = 256L * 1024 * 1024;
        private LanguageRegistry languages = LanguageRegistry.loadDefault();
        private final Map<String, String> packageIndexes = new HashMap<>();
        private Limits installLimits = Limits.defaults().withWallTime(Duration.ofMinutes(3))
                .withCpuTime(Duration.ofMinutes(3)).withMemoryBytes(1024L * 1024 * 1024).withMaxProcesses(256)
                .withMaxFileSizeBytes(512L * 1024 * 1024).withMaxOpenFiles(1024);
        private long packageCacheMaxBytes = 1024L * 1024 * 1024;
        private long compileCacheBytes = 64L * 1024 * 1024;
        private boolean allowUnfencedNetwork;

        private Config() { }

        /**
         * Whether runs and installs with network on may go ahead where the backend cannot fence
         * them off this host's services and private networks (a JVM that is not root, a Docker
         * daemon reached over TCP, no iptables). Default false: they end INTERNAL_ERROR with a
         * message that says why. Applies to the backends the runner creates itself.
         *
         * @param allow true to let them run unfenced
         * @return this configuration
         */
        public Config allowUnfencedNetwork(boolean allow) {
            this.allowUnfencedNetwork = allow;
            return this;
        }

        /**
         * The package index or registry an ecosystem installs from: a private mirror, for example
         * {@code packageIndex("pypi", "https://mirror.example/simple")} or
         * {@code packageIndex("npm", "https://npm.example/")}. Default: the public one.
         *
         * @param ecosystem {@code pypi} or {@code npm}
         * @param url the index URL (http or https)
         * @return this configuration
         */
        public Config packageIndex(String ecosystem, String url) {
            if (url == null || !url.matches("https?://[^\\s]+")) {
                throw new InvalidRequestException("packageIndex", "must be an http or https URL, was " + url);
            }
            packageIndexes.put(Objects.requireNonNull(ecosystem, "ecosystem"), url);
            return this;
        }

        /**
         * Limits of install steps (default: 3 min, 1 GiB memory, 256 processes, 512 MiB per file).
         *
         * @param limits the limits
         * @return this configuration
         */
        public Config installLimits(Limits limits) {
            this.installLimits = Objects.requireNonNull(limits, "installLimits");
            return this;
        }

        /**
         * The most a package cache may hold (default 1 GiB); an install that grows it beyond fails
         * and empties it.
         *
         * @param bytes the size in bytes
         * @return this configuration
         */
        public Config packageCacheMaxBytes(long bytes) {
            if (bytes < 1024 * 1024) {
                throw new InvalidRequestException("packageCacheMaxBytes", "must be at least 1 MiB, was " + bytes);
            }
            this.packageCacheMaxBytes = bytes;
            return this;
        }

        /**
         * The most the compile cache holds (default 64 MiB; 0 turns it off). The cache keeps the
         * artefacts of successful compiles (C, C++, Java) by the hash of everything the compiler was
         * given, so that a byte-identical repeat skips the compiler; a request can opt out with
         * {@link RunRequest#withCompileCache(boolean)}.
         *
         * @param bytes the size in bytes
         * @return this configuration
         */
        public Config compileCacheBytes(long bytes) {
            if (bytes < 0) {
                throw new InvalidRequestException("compileCacheBytes", "must not be negative, was " + bytes);
            }
            this.compileCacheBytes = bytes;
            return this;
        }

        /**
         * Chooses the backend (default {@link BackendKind#AUTO}).
         *
         * @param kind the backend
         * @return this configuration
         */
        public Config backend(BackendKind kind) {
            this.backend = Objects.requireNonNull(kind, "backend");
            return this;
        }

        /**
         * Escape hatch: uses a backend instance you built yourself (a custom backend, or a built-in
         * one with non-default options). The runner closes it.
         *
         * @param instance the backend
         * @return this configuration
         */
        public Config backend(SandboxBackend instance) {
            this.backendInstance = Objects.requireNonNull(instance, "backend");
            return this;
        }

        /**
         * Sets the limits used when a request sets none.
         *
         * @param limits the default limits
         * @return this configuration
         */
        public Config defaultLimits(Limits limits) {
            this.defaultLimits = Objects.requireNonNull(limits, "defaultLimits");
            return this;
        }

        /**
         * Sets the ceiling: a request asking for more is rejected.
         *
         * @param limits the largest values allowed
         * @return this configuration
         */
        public Config maxLimits(Limits limits) {
            this.maxLimits = Objects.requireNonNull(limits, "maxLimits");
            return this;
        }

        /**
         * How many runs may execute at once; further runs wait in {@link Phase#QUEUED}.
         *
         * @param count at least 1
         * @return this configuration
         */
        public Config maxConcurrentRuns(int count) {
            this.maxConcurrentRuns = count;
            return this;
        }

        /**
         * How many runs may wait for a slot (default 10,000). A waiting run costs a small record,
         * not a thread; one more than this is refused with {@link QueueFullException}, before
         * anything is started or any listener is called.
         *
         * @param count at least 1
         * @return this configuration
         */
        public Config maxQueuedRuns(int count) {
            this.maxQueuedRuns = count;
            return this;
        }

        /**
         * How large a run's writable workspace may grow (default 256 MiB).
         *
         * @param bytes the size in bytes
         * @return this configuration
         */
        public Config workspaceBytes(long bytes) {
            if (bytes < 1024 * 1024) {
                throw new InvalidRequestException("workspaceBytes", "must be at least 1 MiB, was " + bytes);
            }
            this.workspaceBytes = bytes;
            return this;
        }

        /**
         * Replaces the language registry.
         *
         * @param registry the languages to know
         * @return this configuration
         */
        public Config languages(LanguageRegistry registry) {
            this.languages = Objects.requireNonNull(registry, "languages");
            return this;
        }

        /**
         * Adds a language, or overrides a built-in one with the same id.
         *
         * @param language the descriptor
         * @return this configuration
         */
        public Config language(Language language) {
            this.languages = languages.with(Objects.requireNonNull(language, "language"));
            return this;
        }
    }
}
