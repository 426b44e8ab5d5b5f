package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.PackageManager;
import dev.cloudrun.internal.packages.MissingModules;
import dev.cloudrun.internal.packages.PackageCaches;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.NetworkEndpoint;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One run: waits for a slot, opens a sandbox, compiles, runs, classifies, cleans up. */
final class DefaultExecution implements Execution {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultExecution.class);
    private static final Duration POLL = Duration.ofMillis(20);
    /** How long a killed step may take to report its end before the run is given up as broken. */
    private static final Duration KILL_GRACE = Duration.ofSeconds(15);
    private static final long MIB = 1024L * 1024L;
    private static final int SIGXCPU = 24;
    private static final int SIGKILL = 9;

    private final String id;
    private final PreparedRun run;
    private final SandboxBackend backend;
    private final ListenerGate listener;
    private final Semaphore slots;
    private final ExecutorService threads;
    private final long workspaceBytes;
    private final Consumer<DefaultExecution> onDone;
    private final PackageContext packages;
    private final StdinChannel stdin;
    private final CompletableFuture<RunResult> result = new CompletableFuture<>();
    private final Object lock = new Object();

    private volatile Phase phase = Phase.QUEUED;
    private volatile boolean cancelled;
    private volatile Thread runner;
    private volatile boolean waitingForSlot;
    private SandboxProcess current;

    DefaultExecution(String id, PreparedRun run, SandboxBackend backend, RunListener listener, Semaphore slots,
                     ExecutorService threads, long workspaceBytes, Consumer<DefaultExecution> onDone,
                     PackageContext packages) {
        this.packages = packages;
        this.id = id;
        this.run = run;
        this.backend = backend;
        this.listener = new ListenerGate(listener, id);
        this.slots = slots;
        this.threads = threads;
        this.workspaceBytes = workspaceBytes;
        this.onDone = onDone;
        this.stdin = new StdinChannel(run.request().stdin().orElse(null), run.request().interactiveStdin());
    }

    void queued() {
        listener.phase(Phase.QUEUED);
    }

    void run() {
        runner = Thread.currentThread();
        RunResult outcome;
        boolean haveSlot = false;
        try {
            waitingForSlot = true;
            try {
                slots.acquire();
            } finally {
                waitingForSlot = false;
            }
            haveSlot = true;
            outcome = cancelled ? finished(Status.CANCELLED, "cancelled before it started") : execute();
        } catch (InterruptedException e) {
            outcome = finished(Status.CANCELLED, "cancelled before it started");
        } catch (CloudRunException e) {
            if (cancelled) {
                outcome = finished(Status.CANCELLED, "cancelled");
            } else {
                LOG.warn("run {} failed in the sandbox: {}", id, e.getMessage());
                outcome = finished(Status.INTERNAL_ERROR, e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("run {} failed unexpectedly", id, e);
            outcome = finished(Status.INTERNAL_ERROR, "internal error: " + e);
        } finally {
            if (haveSlot) {
                slots.release();
            }
            runner = null;
            Thread.interrupted();
        }
        phase = Phase.FINISHED;
        listener.phase(Phase.FINISHED);
        onDone.accept(this);
        result.complete(outcome);
    }

    private RunResult execute() throws InterruptedException {
        Language language = run.language();
        Limits limits = run.limits();
        PackageManager packageManager = language.packageManager().orElse(null);
        String cacheKey = packageManager == null ? null
                : PackageCaches.key(run.request().packageCache(), id, packageManager.ecosystem());
        Installs installs = new Installs();
        try (Sandbox sandbox = backend.open(new SandboxSpec(id, language, run.files(), workspaceBytes))) {
            int installRounds = run.request().autoInstallAttempts();
            if (packageManager != null && installRounds > 0 && !run.declaredPackages().isEmpty()
                    && !packages.caches().allInstalled(cacheKey, run.declaredPackages())) {
                install(sandbox, packageManager, cacheKey, run.declaredPackages(), installs);
            }
            String compilerOutput = "";
            if (language.isCompiled()) {
                enter(Phase.COMPILING);
                Limits compileLimits = limits.withWallTime(limits.compileTime()).withCpuTime(limits.compileTime())
                        .withMemoryBytes(Math.max(limits.memoryBytes(), 512 * MIB))
                        .withMaxProcesses(Math.max(limits.maxProcesses(), 64))
                        .withMaxFileSizeBytes(Math.max(limits.maxFileSizeBytes(), 64 * MIB));
                StepSpec compile = new StepSpec(StepSpec.Kind.COMPILE,
                        CommandTemplate.expand(language.compileCommand(), run.mainFile(), compileLimits),
                        run.request().env(), compileLimits, false);
                StepRun step = runStep(sandbox, compile, StreamKind.COMPILER, new StdinChannel(null, false));
                compilerOutput = new String(step.output.bytes(StreamKind.COMPILER), StandardCharsets.UTF_8);
                RunResult failed = compileFailure(step, compileLimits, compilerOutput);
                if (failed != null) {
                    return failed;
                }
            }
            Set<String> attempted = new HashSet<>();
            StdinChannel input = stdin;
            while (true) {
                if (cancelled) {
                    return finished(Status.CANCELLED, "cancelled");
                }
                enter(Phase.RUNNING);
                List<String> command = new ArrayList<>(CommandTemplate.expand(language.runCommand(), run.mainFile(), limits));
                command.addAll(run.request().args());
                Map<String, String> env = new LinkedHashMap<>(run.request().env());
                List<CacheMount> mounts = new ArrayList<>();
                if (packageManager != null && (installs.cacheUsed || !PackageCaches.isRunPrivate(cacheKey))) {
                    mounts.add(new CacheMount(cacheKey, packageManager.runMount(), false));
                    packageManager.runEnv().forEach(env::putIfAbsent);
                }
                StepSpec spec = new StepSpec(StepSpec.Kind.RUN, command, env, limits, run.request().network(), mounts);
                StepRun step = runStep(sandbox, spec, null, input);
                RunResult result = classify(step, limits, compilerOutput, installs.installed, List.of(), "");
                if (result.status() != Status.RUNTIME_ERROR || packageManager == null) {
                    return result;
                }
                List<String> missing = new ArrayList<>(MissingModules.packages(language, result.stderr(), packages.modules()));
                missing.removeAll(attempted);
                if (missing.isEmpty()) {
                    return result;
                }
                listener.missingPackages(List.copyOf(missing));
                if (installRounds <= 0 || cancelled) {
                    return classify(step, limits, compilerOutput, installs.installed, missing, "");
                }
                installRounds--;
                attempted.addAll(missing);
                String failure = install(sandbox, packageManager, cacheKey, missing, installs);
                if (failure != null) {
                    return classify(step, limits, compilerOutput, installs.installed, missing,
                            "; installing " + String.join(", ", missing) + " failed: " + failure);
                }
                input = run.request().interactiveStdin() ? stdin : new StdinChannel(run.request().stdin().orElse(null), false);
            }
        } finally {
            if (cacheKey != null && installs.cacheUsed && PackageCaches.isRunPrivate(cacheKey)) {
                backend.clearPackageCache(cacheKey);
            }
        }
    }

    /** What this run installed. */
    private static final class Installs {
        final List<String> installed = new ArrayList<>();
        boolean cacheUsed;
    }

    /**
     * Installs packages into the cache in an install step of their own (network on, the cache
     * writable, nothing of the user's program running).
     *
     * @return null on success, else why it failed
     */
    private String install(Sandbox sandbox, PackageManager manager, String cacheKey, List<String> specs,
                           Installs installs) throws InterruptedException {
        ReentrantLock lock = packages.caches().lock(cacheKey);
        lock.lockInterruptibly();
        try {
            enter(Phase.INSTALLING);
            listener.installStarted(List.copyOf(specs));
            List<String> command = new ArrayList<>();
            String index = packages.settings().indexFor(manager);
            for (String part : manager.installCommand()) {
                command.add(part.replace("{index}", index));
            }
            command.addAll(specs);
            Limits installLimits = packages.settings().installLimits();
            Map<String, String> env = new LinkedHashMap<>(manager.installEnv());
            env.put("HOME", "/tmp");
            // The index may be a mirror in a private network (or on this host): the install may reach it.
            StepSpec spec = new StepSpec(StepSpec.Kind.INSTALL, command, env, installLimits, true,
                    List.of(new CacheMount(cacheKey, manager.installMount(), true)),
                    List.of(NetworkEndpoint.of(URI.create(index))));
            installs.cacheUsed = true;
            StepRun step = runStep(sandbox, spec, StreamKind.INSTALL, new StdinChannel(null, false));
            String failure = installFailure(step, installLimits);
            if (failure == null) {
                long size = backend.packageCacheBytes(cacheKey);
                if (size > packages.settings().cacheMaxBytes()) {
                    backend.clearPackageCache(cacheKey);
                    packages.caches().forget(cacheKey);
                    failure = "the package cache would hold " + size + " bytes, more than the "
                            + packages.settings().cacheMaxBytes() + " allowed, so it was emptied";
                }
            }
            if (failure == null) {
                installs.installed.addAll(specs);
                packages.caches().remember(cacheKey, specs);
            }
            listener.installFinished(List.copyOf(specs), failure == null,
                    failure == null ? "installed " + String.join(", ", specs) : failure);
            return failure;
        } finally {
            lock.unlock();
        }
    }

    private static String installFailure(StepRun step, Limits limits) {
        StepOutcome outcome = step.outcome;
        if (outcome.failure() != null) {
            return outcome.failure();
        }
        if (step.cancelled) {
            return "cancelled";
        }
        if (step.wallTimeout || step.cpuTimeout) {
            return "the installer exceeded its time limit of " + describe(limits.wallTime());
        }
        if (outcome.oomKilled()) {
            return "the installer exceeded its memory limit";
        }
        if (outcome.exitCode() != 0) {
            return "the installer exited with code " + outcome.exitCode();
        }
        return null;
    }

    private void enter(Phase next) {
        phase = next;
        listener.phase(next);
    }

    /** What happened during one step, besides the backend's outcome. */
    private static final class StepRun {
        OutputCollector output;
        StepOutcome outcome;
        boolean wallTimeout;
        boolean cpuTimeout;
        boolean killedByUs;
        boolean cancelled;
    }

    private StepRun runStep(Sandbox sandbox, StepSpec spec, StreamKind remap, StdinChannel input)
            throws InterruptedException {
        StepRun step = new StepRun();
        Limits limits = spec.limits();
        step.output = new OutputCollector(listener, limits.maxOutputBytes(), this::killCurrent, remap);
        SandboxProcess process = sandbox.start(spec, step.output);
        synchronized (lock) {
            current = process;
        }
        if (cancelled) {
            process.kill();
        }
        Future<?> pump = threads.submit(() -> input.pumpTo(process.stdin()));
        long start = System.nanoTime();
        long deadline = start + limits.wallTime().toNanos();
        long killedAt = 0;
        try {
            while (true) {
                Optional<StepOutcome> outcome = process.await(POLL);
                if (outcome.isPresent()) {
                    step.outcome = outcome.get();
                    break;
                }
                long now = System.nanoTime();
                boolean kill = false;
                if (cancelled) {
                    step.cancelled = true;
                    kill = true;
                }
                if (step.output.limitHit()) {
                    kill = true;
                }
                if (now >= deadline) {
                    step.wallTimeout = true;
                    kill = true;
                }
                if (process.cpuTimeSoFar().compareTo(limits.cpuTime()) >= 0) {
                    step.cpuTimeout = true;
                    kill = true;
                }
                if (kill) {
                    step.killedByUs = true;
                    if (killedAt == 0) {
                        killedAt = now;
                    }
                    process.kill();
                    if (now - killedAt > KILL_GRACE.toNanos()) {
                        throw new CloudRunException("the sandbox did not stop within " + KILL_GRACE.toSeconds()
                                + " s of being killed");
                    }
                }
            }
        } finally {
            synchronized (lock) {
                current = null;
            }
            pump.cancel(true);
        }
        step.output.finish();
        step.cancelled |= cancelled;
        return step;
    }

    private void killCurrent() {
        SandboxProcess process;
        synchronized (lock) {
            process = current;
        }
        if (process != null) {
            process.kill();
        }
    }

    private RunResult compileFailure(StepRun step, Limits compileLimits, String compilerOutput) {
        StepOutcome outcome = step.outcome;
        if (outcome.failure() != null) {
            return finished(Status.INTERNAL_ERROR, outcome.failure());
        }
        if (step.cancelled) {
            return withCompilerOutput(Status.CANCELLED, "cancelled while compiling", compilerOutput);
        }
        if (step.wallTimeout || step.cpuTimeout) {
            return withCompilerOutput(Status.TIME_LIMIT, "compilation exceeded the compile time limit of "
                    + describe(compileLimits.compileTime()), compilerOutput);
        }
        if (outcome.oomKilled()) {
            return withCompilerOutput(Status.MEMORY_LIMIT, "the compiler exceeded the memory limit of "
                    + compileLimits.memoryBytes() / MIB + " MiB", compilerOutput);
        }
        if (outcome.exitCode() != 0 || step.output.limitHit()) {
            return withCompilerOutput(Status.COMPILE_ERROR, "compilation failed (exit code " + outcome.exitCode() + ")",
                    compilerOutput);
        }
        return null;
    }

    private RunResult withCompilerOutput(Status status, String message, String compilerOutput) {
        return RunResult.builder(status).language(run.language().id()).message(message)
                .compilerOutput(compilerOutput).build();
    }

    private RunResult classify(StepRun step, Limits limits, String compilerOutput, List<String> installed,
                               List<String> missing, String messageSuffix) {
        StepOutcome outcome = step.outcome;
        OutputCollector output = step.output;
        byte[] stderr = output.bytes(StreamKind.STDERR);
        Status status;
        String message;
        int signal = outcome.signal();
        boolean cpuExceeded = step.cpuTimeout || signal == SIGXCPU
                || (signal == SIGKILL && outcome.cpuTime().compareTo(limits.cpuTime()) >= 0);
        if (outcome.failure() != null) {
            status = Status.INTERNAL_ERROR;
            message = outcome.failure();
        } else if (step.cancelled) {
            status = Status.CANCELLED;
            message = "cancelled";
        } else if (output.limitHit()) {
            status = Status.OUTPUT_LIMIT;
            message = "wrote more than the output limit of " + limits.maxOutputBytes() + " bytes and was stopped";
        } else if (step.wallTimeout) {
            status = Status.TIME_LIMIT;
            message = "exceeded the wall-clock limit of " + describe(limits.wallTime());
        } else if (cpuExceeded) {
            status = Status.TIME_LIMIT;
            message = "exceeded the CPU time limit of " + describe(limits.cpuTime());
        } else if (outcome.oomKilled() || (outcome.exitCode() != 0 && matchesAny(run.language().memoryErrorPatterns(), stderr))) {
            status = Status.MEMORY_LIMIT;
            message = "exceeded the memory limit of " + limits.memoryBytes() / MIB + " MiB";
        } else if (outcome.exitCode() == 0) {
            status = Status.OK;
            message = "exited normally";
        } else if (signal > 0) {
            status = Status.RUNTIME_ERROR;
            message = "was killed by signal " + signal + " (" + Signals.name(signal) + ")";
        } else {
            status = Status.RUNTIME_ERROR;
            message = "exited with code " + outcome.exitCode();
        }
        return RunResult.builder(status)
                .language(run.language().id())
                .exitCode(step.killedByUs ? -1 : outcome.exitCode())
                .signal(step.killedByUs ? SIGKILL : signal)
                .wallTime(outcome.wallTime())
                .cpuTime(outcome.cpuTime())
                .memoryBytes(outcome.peakMemoryBytes())
                .stdout(output.bytes(StreamKind.STDOUT), output.truncated(StreamKind.STDOUT))
                .stderr(stderr, output.truncated(StreamKind.STDERR))
                .compilerOutput(compilerOutput)
                .installedPackages(List.copyOf(installed))
                .missingPackages(List.copyOf(missing))
                .message(message + messageSuffix)
                .build();
    }

    private static boolean matchesAny(List<Pattern> patterns, byte[] stderr) {
        if (patterns.isEmpty() || stderr.length == 0) {
            return false;
        }
        int from = Math.max(0, stderr.length - 16 * 1024);
        String tail = new String(stderr, from, stderr.length - from, StandardCharsets.UTF_8);
        return patterns.stream().anyMatch(pattern -> pattern.matcher(tail).find());
    }

    private RunResult finished(Status status, String message) {
        return RunResult.builder(status).language(run.language().id()).message(message).build();
    }

    static String describe(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Phase phase() {
        return phase;
    }

    @Override
    public void writeStdin(byte[] bytes) {
        stdin.write(bytes);
    }

    @Override
    public void closeStdin() {
        stdin.close();
    }

    @Override
    public void cancel() {
        if (result.isDone()) {
            return;
        }
        cancelled = true;
        killCurrent();
        Thread waiting = runner;
        if (waiting != null && waitingForSlot) {
            waiting.interrupt();
        }
    }

    @Override
    public RunResult await() {
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting for run " + id, e);
        } catch (ExecutionException e) {
            throw new CloudRunException("run " + id + " failed", e.getCause());
        }
    }

    @Override
    public Optional<RunResult> await(Duration timeout) {
        try {
            return Optional.of(result.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting for run " + id, e);
        } catch (ExecutionException e) {
            throw new CloudRunException("run " + id + " failed", e.getCause());
        }
    }

    @Override
    public CompletableFuture<RunResult> result() {
        return result;
    }

    @Override
    public void close() {
        cancel();
    }
}
