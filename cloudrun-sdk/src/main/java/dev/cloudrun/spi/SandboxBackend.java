package dev.cloudrun.spi;

import dev.cloudrun.Language;

/**
 * A way to isolate untrusted programs (bubblewrap on this host, Docker containers, ...). Created
 * once, shared by all runs, thread-safe.
 */
public interface SandboxBackend extends AutoCloseable {

    /** @return a short name such as {@code local} or {@code docker} */
    String name();

    /**
     * Checks, before anything is created, that this backend can run a language (its toolchain or
     * image is present).
     *
     * @param language the language about to run
     * @throws dev.cloudrun.BackendUnavailableException with the command that fixes it, if not
     */
    default void checkLanguage(Language language) { }

    /**
     * What identifies the compiler this backend gives a language, for the compile cache: compiled
     * artefacts are reused only under the same identity. The default names the backend's class and
     * the language's image; a backend that can tell one build of an image from the next (an image
     * id) says so.
     *
     * @param language the language
     * @return a stable description of its toolchain on this backend
     */
    default String toolchain(Language language) {
        return getClass().getName() + "|" + language.image().orElse("host");
    }

    /**
     * Creates an isolated workspace holding the run's files. Nothing untrusted has run yet, so this
     * is the only time the host writes into it.
     *
     * @param spec the run's id, language and files
     * @return the sandbox; the caller closes it, which destroys everything it holds
     * @throws dev.cloudrun.CloudRunException if the sandbox cannot be created
     */
    Sandbox open(SandboxSpec spec);

    /**
     * Creates a long-lived workspace sandbox for one project, its files written before anything
     * untrusted has run.
     *
     * @param spec its id, language, files and limits
     * @return the sandbox; the caller closes it, which kills everything in it and removes it
     * @throws dev.cloudrun.BackendUnavailableException if this backend has no workspaces
     */
    default WorkspaceSandbox openWorkspace(WorkspaceSandboxSpec spec) {
        throw new dev.cloudrun.BackendUnavailableException("the " + name()
                + " backend has no terminal workspaces: use the local or docker backend");
    }

    /**
     * How much a package cache holds now.
     *
     * @param cacheKey the cache's key (see {@link CacheMount#cacheKey()})
     * @return its size in bytes, 0 when it does not exist
     */
    default long packageCacheBytes(String cacheKey) {
        return 0;
    }

    /**
     * Empties a package cache. Never called while a step that mounts it runs.
     *
     * @param cacheKey the cache's key
     */
    default void clearPackageCache(String cacheKey) { }

    /**
     * Destroys what the backend prepared ahead of demand and no run holds (pre-started sandboxes);
     * it prepares them again as runs come. Sandboxes of runs are not touched.
     */
    default void releaseIdle() { }

    /** Releases the backend's resources; sandboxes still open are destroyed. */
    @Override
    void close();
}
