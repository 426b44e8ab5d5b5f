package dev.cloudrun.internal;

import dev.cloudrun.Limits;
import dev.cloudrun.PackageManager;
import dev.cloudrun.Phase;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.NetworkEndpoint;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.UnreachableEndpointException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Installs a run's packages into its cache, each time in an install step of its own: network on,
 * the cache writable, only the package manager running (never the user's program). Installs into one
 * cache never overlap; a cache that grows past its cap is emptied.
 */
final class PackageInstaller {
    private static final long LOCK_POLL_MILLIS = 100;

    private final SandboxBackend backend;
    private final PackageContext packages;
    private final ListenerGate listener;
    private final StepSupervisor supervisor;
    private final BooleanSupplier cancelled;
    private final Consumer<Phase> enter;
    private final List<String> installed = new ArrayList<>();
    private boolean cacheUsed;
    private boolean sandboxFailed;

    /**
     * @param backend measures and empties caches
     * @param packages indexes, limits, the caches' locks and what they hold
     * @param listener hears of each install
     * @param supervisor runs the install steps
     * @param cancelled whether the run has been cancelled
     * @param enter moves the run into a phase
     */
    PackageInstaller(SandboxBackend backend, PackageContext packages, ListenerGate listener,
                     StepSupervisor supervisor, BooleanSupplier cancelled, Consumer<Phase> enter) {
        this.backend = backend;
        this.packages = packages;
        this.listener = listener;
        this.supervisor = supervisor;
        this.cancelled = cancelled;
        this.enter = enter;
    }

    /**
     * @return whether the last install failed because the sandbox did (its backend lost the step: a
     *     daemon restarted, say), not because of the installer or the packages
     */
    boolean lastFailureWasTheSandbox() {
        return sandboxFailed;
    }

    /**
     * Installs packages into a cache.
     *
     * @param sandbox the run's sandbox
     * @param manager the language's package manager
     * @param cacheKey the cache
     * @param specs what to install (installer arguments, already checked)
     * @return empty on success, else why it failed
     * @throws InterruptedException if the calling thread is interrupted
     */
    Optional<String> install(Sandbox sandbox, PackageManager manager, String cacheKey, List<String> specs)
            throws InterruptedException {
        ReentrantLock lock = packages.caches().lock(cacheKey);
        while (!lock.tryLock(LOCK_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            if (cancelled.getAsBoolean()) {
                return Optional.of("cancelled");
            }
        }
        try {
            enter.accept(Phase.INSTALLING);
            listener.installStarted(List.copyOf(specs));
            Limits installLimits = packages.settings().installLimits();
            String index = packages.settings().indexFor(manager);
            cacheUsed = true;
            StepReport step;
            try {
                step = supervisor.supervise(sandbox, installStep(manager, cacheKey, specs, index, installLimits),
                        StreamKind.INSTALL, new StdinChannel(null, false));
            } catch (UnreachableEndpointException e) {
                // Not the sandbox's fault: the index cannot be reached from here. Said so, with what to set.
                String why = unreachableIndex(manager, index, e.host());
                sandboxFailed = false;
                listener.installFinished(List.copyOf(specs), false, why);
                return Optional.of(why);
            }
            Optional<String> failure = OutcomeClassifier.installer(step);
            sandboxFailed = step.outcome().failure() != null;
            if (failure.isPresent() && !sandboxFailed) {
                // Where the install step was not fenced (so nothing resolved the index first), say so
                // when the reason is that the index's host does not resolve.
                String host = hostOf(index);
                if (host != null && !resolves(host)) {
                    failure = Optional.of(unreachableIndex(manager, index, host) + " (" + failure.get() + ")");
                }
            }
            if (failure.isEmpty()) {
                long size = backend.packageCacheBytes(cacheKey);
                if (size > packages.settings().cacheMaxBytes()) {
                    backend.clearPackageCache(cacheKey);
                    packages.caches().forget(cacheKey);
                    failure = Optional.of("the package cache would hold " + size + " bytes, more than the "
                            + packages.settings().cacheMaxBytes() + " allowed, so it was emptied");
                }
            }
            if (failure.isEmpty()) {
                installed.addAll(specs);
                packages.caches().remember(cacheKey, specs);
            }
            listener.installFinished(List.copyOf(specs), failure.isEmpty(),
                    failure.orElse("installed " + String.join(", ", specs)));
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why the index cannot be reached, in words a person can act on, with the settings for a mirror.
     *
     * @param host the index's host, which does not resolve from this host
     */
    static String unreachableIndex(PackageManager manager, String index, String host) {
        String setting = switch (manager.ecosystem()) {
            case "pypi" -> "; on the server, CLOUDRUN_PYPI_INDEX_URL";
            case "npm" -> "; on the server, CLOUDRUN_NPM_REGISTRY_URL";
            default -> "";
        };
        return "the package index " + index + " cannot be reached: " + host
                + " does not resolve from this host (no network or DNS here?). Use a mirror this host can reach:"
                + " CodeRunner.Config.packageIndex(\"" + manager.ecosystem() + "\", URL)" + setting;
    }

    private static String hostOf(String index) {
        try {
            return URI.create(index).getHost();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean resolves(String host) {
        try {
            java.net.InetAddress.getAllByName(host);
            return true;
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static StepSpec installStep(PackageManager manager, String cacheKey, List<String> specs, String index,
                                        Limits limits) {
        List<String> command = new ArrayList<>();
        for (String part : manager.installCommand()) {
            command.add(part.replace("{index}", index));
        }
        command.addAll(specs);
        Map<String, String> env = new LinkedHashMap<>(manager.installEnv());
        env.put("HOME", "/tmp");
        // The index may be a mirror in a private network (or on this host): the install may reach it.
        return new StepSpec(StepSpec.Kind.INSTALL, command, env, limits, true,
                List.of(new CacheMount(cacheKey, manager.installMount(), true)),
                List.of(NetworkEndpoint.of(URI.create(index))));
    }

    /** @return what this run installed so far */
    List<String> installed() {
        return List.copyOf(installed);
    }

    /** @return whether an install step mounted the cache (so it may hold something) */
    boolean cacheUsed() {
        return cacheUsed;
    }
}
