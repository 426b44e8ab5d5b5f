package dev.cloudrun.internal;

import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.spi.BackendSettings;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxBackendProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates backends by kind from the {@link SandboxBackendProvider}s on the class path
 * ({@link ServiceLoader}): the SDK brings the local ones, {@code dev.cloudrun:cloudrun-docker} the
 * Docker one. This class knows no backend by name.
 */
public final class Backends {
    /** The artifact that brings the Docker backend, named in the error when it is missing. */
    static final String DOCKER_ARTIFACT = "dev.cloudrun:cloudrun-docker";

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private Backends() { }

    /**
     * Creates a backend.
     *
     * @param kind which one; {@link BackendKind#AUTO} picks Docker when its provider is on the class
     *     path and the daemon answers, else local
     * @param maxConcurrentRuns how many runs may execute at once (sizes connection pools)
     * @param allowUnfencedNetwork whether network-enabled runs may go ahead where the backend cannot
     *     fence them off this host and private networks
     * @return the backend
     * @throws BackendUnavailableException if it cannot run on this host, or its jar is missing
     */
    public static SandboxBackend create(BackendKind kind, int maxConcurrentRuns, boolean allowUnfencedNetwork) {
        BackendSettings settings = new BackendSettings(maxConcurrentRuns, allowUnfencedNetwork);
        Map<BackendKind, SandboxBackendProvider> providers = providers();
        if (kind == BackendKind.AUTO) {
            SandboxBackendProvider docker = providers.get(BackendKind.DOCKER);
            SandboxBackendProvider chosen = docker != null && docker.available() ? docker : providers.get(BackendKind.LOCAL);
            if (chosen == null) {
                throw new BackendUnavailableException("no sandbox backend is on the class path (the SDK's own local "
                        + "backend is missing from META-INF/services/" + SandboxBackendProvider.class.getName() + ")");
            }
            return chosen.create(settings);
        }
        return Optional.ofNullable(providers.get(kind)).orElseThrow(() -> missing(kind)).create(settings);
    }

    private static BackendUnavailableException missing(BackendKind kind) {
        if (kind == BackendKind.DOCKER) {
            return new BackendUnavailableException("BackendKind.DOCKER needs the Docker backend, which is not on the "
                    + "class path: add the artifact " + DOCKER_ARTIFACT + " (in Maven, a <dependency> with groupId "
                    + "dev.cloudrun, artifactId cloudrun-docker and the version of cloudrun-sdk), or choose "
                    + "BackendKind.LOCAL");
        }
        return new BackendUnavailableException("no provider of BackendKind." + kind + " is on the class path "
                + "(META-INF/services/" + SandboxBackendProvider.class.getName() + ")");
    }

    /**
     * The providers of the context class loader, then of the SDK's own loader; the first of each
     * kind wins. A provider that cannot be loaded is logged and skipped.
     */
    private static Map<BackendKind, SandboxBackendProvider> providers() {
        List<ClassLoader> loaders = new ArrayList<>();
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null) {
            loaders.add(context);
        }
        if (Backends.class.getClassLoader() != context) {
            loaders.add(Backends.class.getClassLoader());
        }
        Map<BackendKind, SandboxBackendProvider> found = new LinkedHashMap<>();
        for (ClassLoader loader : loaders) {
            Iterator<SandboxBackendProvider> iterator = ServiceLoader.load(SandboxBackendProvider.class, loader).iterator();
            while (true) {
                try {
                    if (!iterator.hasNext()) {
                        break;
                    }
                    SandboxBackendProvider provider = iterator.next();
                    found.putIfAbsent(provider.kind(), provider);
                } catch (ServiceConfigurationError e) {
                    LOG.warn("skipping a sandbox backend provider that cannot be loaded: {}", e.toString());
                }
            }
        }
        return found;
    }
}
