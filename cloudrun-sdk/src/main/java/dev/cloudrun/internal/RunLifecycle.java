package dev.cloudrun.internal;

import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.PackageManager;
import dev.cloudrun.Phase;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.internal.packages.MissingModules;
import dev.cloudrun.internal.packages.PackageCaches;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The steps of one run, in its slot: open the sandbox, install declared dependencies, compile, run,
 * and (with auto-install) install what the program was missing and run it again. Each step is
 * watched by the {@link StepSupervisor} and judged by the {@link OutcomeClassifier}.
 */
final class RunLifecycle {
    private static final long MIB = 1024L * 1024L;
    private static final int SIGKILL = 9;

    private final String id;
    private final PreparedRun run;
    private final SandboxBackend backend;
    private final long workspaceBytes;
    private final ListenerGate listener;
    private final StepSupervisor supervisor;
    private final PackageContext packages;
    private final CompileCache compileCache;
    private final StdinChannel stdin;
    private final BooleanSupplier cancelled;
    private final Consumer<Phase> enter;

    RunLifecycle(String id, PreparedRun run, SandboxBackend backend, long workspaceBytes, ListenerGate listener,
                 StepSupervisor supervisor, PackageContext packages, CompileCache compileCache, StdinChannel stdin,
                 BooleanSupplier cancelled, Consumer<Phase> enter) {
        this.id = id;
        this.run = run;
        this.backend = backend;
        this.workspaceBytes = workspaceBytes;
        this.listener = listener;
        this.supervisor = supervisor;
        this.packages = packages;
        this.compileCache = compileCache;
        this.stdin = stdin;
        this.cancelled = cancelled;
        this.enter = enter;
    }

    /**
     * Runs every step.
     *
     * @return the run's result
     * @throws dev.cloudrun.CloudRunException if the sandbox fails
     * @throws InterruptedException if the slot's thread is interrupted
     */
    RunResult execute() throws InterruptedException {
        if (cancelled.getAsBoolean()) {
            return finished(Status.CANCELLED, "cancelled before it started");
        }
        Language language = run.language();
        PackageManager packageManager = language.packageManager().orElse(null);
        String cacheKey = packageManager == null ? null
                : PackageCaches.key(run.request().packageCache(), id, packageManager.ecosystem());
        PackageInstaller installer = new PackageInstaller(backend, packages, listener, supervisor, cancelled, enter);
        String compileKey = compileKey();
        CompileCache.Entry cached = compileKey == null ? null : compileCache.get(compileKey);
        if (cached != null && run.plan().compileOnly() && cached.artifactBytes() > run.plan().maxCollectBytes()) {
            // More than this plan may carry: compile for real, so that the limit speaks as it would.
            cached = null;
        }
        PreparedRun workspace = run;
        if (cached != null && run.plan().compileOnly()) {
            // A re-grade of the same submission: the grader gets the artefacts without a sandbox.
            enter.accept(Phase.COMPILING);
            replay(cached);
            run.plan().collected().accept(cached.artifacts());
            return RunResult.builder(Status.OK).language(language.id()).compilerOutput(cached.compilerOutput())
                    .message("compiled (from the compile cache)").compileCached(true).build();
        }
        if (cached != null) {
            RunPlan plan = run.plan();
            workspace = run.with(RunPlan.run(cached.artifacts(), plan.collect(), plan.maxCollectBytes(), plan.collected()));
        }
        try (Sandbox sandbox = backend.open(new SandboxSpec(id, language, workspace.files(), workspaceBytes,
                workspace.executables(), run.limits()))) {
            int installRounds = run.request().autoInstallAttempts();
            if (packageManager != null && installRounds > 0 && !run.declaredPackages().isEmpty()
                    && !packages.caches().allInstalled(cacheKey, run.declaredPackages())) {
                installer.install(sandbox, packageManager, cacheKey, run.declaredPackages());
            }
            String compilerOutput = "";
            RunPlan plan = run.plan();
            if (cached != null) {
                // The listener hears what a compile would have told it, phase and output alike.
                enter.accept(Phase.COMPILING);
                replay(cached);
                compilerOutput = cached.compilerOutput();
            } else if (language.isCompiled() && !plan.precompiled()) {
                Compiled compiled = compile(sandbox);
                if (compiled.failure != null) {
                    return compiled.failure;
                }
                compilerOutput = compiled.output;
                if (compileKey != null && !plan.compileOnly() && compileCache.admit(compileKey)) {
                    // Carried out before the program runs, so nothing the program does reaches the cache.
                    compileCache.put(compileKey, collect(sandbox, StepSpec.Kind.COMPILE, language.artifacts(),
                            compileCache.maxEntryBytes(), true), compilerOutput);
                }
            }
            if (plan.compileOnly()) {
                CollectedFiles artifacts = collect(sandbox, StepSpec.Kind.COMPILE, plan.collect(), plan.maxCollectBytes(), true);
                if (compileKey != null) {
                    compileCache.put(compileKey, artifacts, compilerOutput);
                }
                plan.collected().accept(artifacts);
                return RunResult.builder(Status.OK).language(language.id()).compilerOutput(compilerOutput)
                        .message(artifacts.problem() == null ? "compiled" : "compiled, but " + artifacts.problem())
                        .build();
            }
            Set<String> attempted = new HashSet<>();
            StdinChannel input = stdin;
            while (true) {
                if (cancelled.getAsBoolean()) {
                    return finished(Status.CANCELLED, "cancelled");
                }
                enter.accept(Phase.RUNNING);
                boolean mountCache = packageManager != null
                        && (installer.cacheUsed() || !PackageCaches.isRunPrivate(cacheKey));
                StepReport step = supervisor.supervise(sandbox, runStep(packageManager, cacheKey, mountCache), null, input);
                if (!plan.collect().isEmpty() && !step.cancelled()) {
                    plan.collected().accept(collect(sandbox, StepSpec.Kind.RUN, plan.collect(), plan.maxCollectBytes(), false));
                }
                String outputProblem = "";
                Map<String, byte[]> outputFiles = Map.of();
                if (run.request().outputFolder().isPresent() && !step.cancelled()) {
                    CollectedFiles produced = collectFolder(sandbox, run.request().outputFolder().get(),
                            run.request().maxOutputFilesBytes());
                    if (produced.problem() != null) {
                        outputProblem = "; output files not returned: " + produced.problem();
                    } else {
                        outputFiles = produced.files();
                    }
                }
                RunResult result = programResult(step, compilerOutput, cached != null, installer.installed(), List.of(),
                        outputProblem);
                if (!outputFiles.isEmpty()) {
                    result = result.withOutputFiles(outputFiles);
                }
                if (result.status() != Status.RUNTIME_ERROR || packageManager == null) {
                    return result;
                }
                List<String> missing = new ArrayList<>(MissingModules.packages(language,
                        run.request().stderrToStdout() || run.request().terminal() ? result.stdout() : result.stderr(),
                        packages.modules()));
                missing.removeAll(attempted);
                if (missing.isEmpty()) {
                    return result;
                }
                listener.missingPackages(List.copyOf(missing));
                if (installRounds <= 0 || cancelled.getAsBoolean()) {
                    return programResult(step, compilerOutput, cached != null, installer.installed(), missing, "");
                }
                installRounds--;
                attempted.addAll(missing);
                Optional<String> failure = installer.install(sandbox, packageManager, cacheKey, missing);
                if (failure.isPresent() && installer.lastFailureWasTheSandbox()) {
                    // Not the program's fault, nor the packages': the system failed under the install.
                    return finished(Status.INTERNAL_ERROR, "installing " + String.join(", ", missing) + " failed: "
                            + failure.get());
                }
                if (failure.isPresent()) {
                    return programResult(step, compilerOutput, cached != null, installer.installed(), missing,
                            "; installing " + String.join(", ", missing) + " failed: " + failure.get());
                }
                input = run.request().interactiveStdin() ? stdin : new StdinChannel(run.request().stdin().orElse(null), false);
            }
        } finally {
            if (cacheKey != null && installer.cacheUsed() && PackageCaches.isRunPrivate(cacheKey)) {
                backend.clearPackageCache(cacheKey);
            }
        }
    }

    /**
     * Carries files out of the sandbox: {@code tar} (the image's or host's own, which user code
     * cannot replace) writes them to its stdout and the host parses that stream strictly; the host
     * never opens a path in the workspace.
     *
     * @param kind the kind of step that ran last (so the backend runs this one alike)
     * @param names what to carry out
     * @param maxBytes the most the files may hold together
     * @param globs whether {@code names} are globs (the whole workspace is archived and filtered) or
     *     exact names (only they are archived, without following links)
     */
    private CollectedFiles collect(Sandbox sandbox, StepSpec.Kind kind, List<String> names, long maxBytes, boolean globs)
            throws InterruptedException {
        List<String> command = new ArrayList<>(List.of("tar", "--no-recursion", "-c", "-f", "-", "--"));
        if (globs) {
            command = List.of("tar", "-c", "-f", "-", ".");
        } else {
            command.addAll(names);
        }
        long tarSlack = 64L * 1024 + 1024L * names.size();
        Limits limits = run.limits().withWallTime(java.time.Duration.ofSeconds(20))
                .withCpuTime(java.time.Duration.ofSeconds(10))
                .withMemoryBytes(Math.max(run.limits().memoryBytes(), 64 * MIB))
                .withMaxProcesses(Math.max(run.limits().maxProcesses(), 8))
                .withMaxOutputBytes(maxBytes + tarSlack)
                .withStackBytes(Math.max(run.limits().stackBytes(), Limits.defaults().stackBytes()));
        StepSpec spec = new StepSpec(kind, command, Map.of(), limits, false);
        StepReport step = supervisor.silent().supervise(sandbox, spec, null, new StdinChannel(null, false));
        if (step.cancelled()) {
            return CollectedFiles.failed("cancelled");
        }
        if (step.output().truncated(StreamKind.STDOUT)) {
            return CollectedFiles.failed("the files are larger than " + maxBytes + " bytes");
        }
        java.util.function.Predicate<String> wanted = globs ? StrictTar.globs(names) : names::contains;
        CollectedFiles files = StrictTar.read(step.output().bytes(StreamKind.STDOUT), wanted, maxBytes);
        if (globs && files.problem() == null && files.files().isEmpty()) {
            return CollectedFiles.failed("the compiler produced none of " + names);
        }
        return files;
    }

    /**
     * Carries the regular files of one folder out: {@code tar} archives just that folder (without
     * following links) and the host parses the stream strictly. A folder that does not exist gives
     * an empty archive, hence no files.
     */
    private CollectedFiles collectFolder(Sandbox sandbox, String folder, long maxBytes) throws InterruptedException {
        long tarSlack = 64L * 1024;
        Limits limits = run.limits().withWallTime(java.time.Duration.ofSeconds(20))
                .withCpuTime(java.time.Duration.ofSeconds(10))
                .withMemoryBytes(Math.max(run.limits().memoryBytes(), 64 * MIB))
                .withMaxProcesses(Math.max(run.limits().maxProcesses(), 8))
                .withMaxOutputBytes(maxBytes * 2 + tarSlack)
                .withStackBytes(Math.max(run.limits().stackBytes(), Limits.defaults().stackBytes()));
        StepSpec spec = new StepSpec(StepSpec.Kind.RUN, List.of("tar", "-c", "-f", "-", "--", folder), Map.of(), limits, false);
        StepReport step = supervisor.silent().supervise(sandbox, spec, null, new StdinChannel(null, false));
        if (step.cancelled()) {
            return CollectedFiles.failed("cancelled");
        }
        if (step.output().truncated(StreamKind.STDOUT)) {
            return CollectedFiles.failed("the files are larger than " + maxBytes + " bytes");
        }
        String prefix = folder + "/";
        return StrictTar.read(step.output().bytes(StreamKind.STDOUT), path -> path.startsWith(prefix), maxBytes);
    }

    /** A compile step's result: its output, or the run's result when it failed. */
    private record Compiled(String output, RunResult failure) { }

    private void replay(CompileCache.Entry cached) {
        String output = cached.compilerOutput();
        if (!output.isEmpty()) {
            byte[] bytes = output.getBytes(StandardCharsets.UTF_8);
            listener.output(StreamKind.COMPILER, bytes, 0, bytes.length, output);
        }
    }

    /** @return the compile cache's key for this run, or null when the cache must not serve it */
    private String compileKey() {
        Language language = run.language();
        boolean packagesInvolved = language.packageManager().isPresent() && run.request().autoInstallAttempts() > 0;
        // A plan that carries other files than the language's artefacts is not what the cache holds.
        boolean otherArtefacts = run.plan().compileOnly() && !run.plan().collect().equals(language.artifacts());
        if (!compileCache.enabled() || !language.isCompiled() || run.plan().precompiled()
                || !run.request().compileCache() || packagesInvolved || otherArtefacts) {
            return null;
        }
        return CompileCache.key(backend.toolchain(language), language.id(), compileCommand(compileLimits()),
                run.request().env(), run.files());
    }

    private Limits compileLimits() {
        Limits limits = run.limits();
        return limits.withWallTime(limits.compileTime()).withCpuTime(limits.compileTime())
                .withMemoryBytes(Math.max(limits.memoryBytes(), 512 * MIB))
                .withMaxProcesses(Math.max(limits.maxProcesses(), 64))
                .withMaxFileSizeBytes(Math.max(limits.maxFileSizeBytes(), 64 * MIB))
                .withStackBytes(Math.max(limits.stackBytes(), Limits.defaults().stackBytes()));
    }

    /** @return the compile command (the request's override, else the language's), expanded */
    private List<String> compileCommand(Limits compileLimits) {
        List<String> template = run.request().compileCommand().orElse(run.language().compileCommand());
        return CommandTemplate.expand(template, run.mainFile(), compileLimits);
    }

    private Compiled compile(Sandbox sandbox) throws InterruptedException {
        enter.accept(Phase.COMPILING);
        Limits limits = run.limits();
        Limits compileLimits = compileLimits();
        StepSpec compile = new StepSpec(StepSpec.Kind.COMPILE, compileCommand(compileLimits),
                run.request().env(), compileLimits, false);
        StepReport step = supervisor.supervise(sandbox, compile, StreamKind.COMPILER, new StdinChannel(null, false));
        String output = new String(step.output().bytes(StreamKind.COMPILER), StandardCharsets.UTF_8);
        RunResult failure = OutcomeClassifier.compiler(step, limits.compileTime())
                .map(verdict -> RunResult.builder(verdict.status()).language(run.language().id())
                        .message(verdict.message()).compilerOutput(output).build())
                .orElse(null);
        return new Compiled(output, failure);
    }

    private StepSpec runStep(PackageManager packageManager, String cacheKey, boolean mountCache) {
        Limits limits = run.limits();
        List<String> template = run.request().runCommand().orElse(run.language().runCommand());
        List<String> command = new ArrayList<>(CommandTemplate.expand(template, run.mainFile(), limits));
        command.addAll(run.request().args());
        Map<String, String> env = new LinkedHashMap<>(run.request().env());
        List<CacheMount> mounts = new ArrayList<>();
        if (mountCache) {
            mounts.add(new CacheMount(cacheKey, packageManager.runMount(), false));
            packageManager.runEnv().forEach(env::putIfAbsent);
        }
        return new StepSpec(StepSpec.Kind.RUN, command, env, limits, run.request().network(), mounts, List.of(),
                run.request().stderrToStdout(), !run.request().terminal() ? StepSpec.Terminal.NONE
                        : run.request().interactiveStdin() ? StepSpec.Terminal.ECHO : StepSpec.Terminal.NO_ECHO);
    }

    private RunResult programResult(StepReport step, String compilerOutput, boolean compileCached, List<String> installed,
                                    List<String> missing, String messageSuffix) {
        OutcomeClassifier.Verdict verdict = OutcomeClassifier.program(step, new OutcomeClassifier.Patterns(
                run.language().memoryErrorPatterns(), run.language().syntaxErrorPatterns()));
        OutputCollector output = step.output();
        return RunResult.builder(verdict.status())
                .language(run.language().id())
                .exitCode(step.killedByUs() ? -1 : step.outcome().exitCode())
                .signal(step.killedByUs() ? SIGKILL : step.outcome().signal())
                .wallTime(step.outcome().wallTime())
                .cpuTime(step.outcome().cpuTime())
                .memoryBytes(step.outcome().peakMemoryBytes())
                .stdout(output.chunks(StreamKind.STDOUT), output.truncated(StreamKind.STDOUT))
                .stderr(output.chunks(StreamKind.STDERR), output.truncated(StreamKind.STDERR))
                .compilerOutput(compilerOutput)
                .compileCached(compileCached)
                .installedPackages(installed)
                .missingPackages(List.copyOf(missing))
                .message(verdict.message() + messageSuffix)
                .build();
    }

    private RunResult finished(Status status, String message) {
        return RunResult.builder(status).language(run.language().id()).message(message).build();
    }
}
