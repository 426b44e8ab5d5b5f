package dev.cloudrun.internal.packages;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The runner's view of package caches: their keys, one lock per named cache so that installs into
 * the same cache never overlap, and which declared dependencies were already installed there (so a
 * project's next run does not install them again). A run-private cache is used by one run alone and
 * emptied when it ends, so nothing is kept for it: a runner that serves a million runs holds entries
 * for its named caches only.
 */
public final class PackageCaches {
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Set<String> installed = ConcurrentHashMap.newKeySet();

    /**
     * @param name the request's named cache, if any
     * @param runId the run's id, for a run-private cache
     * @param ecosystem the language's ecosystem
     * @return the cache key
     */
    public static String key(Optional<String> name, String runId, String ecosystem) {
        return name.map(n -> "named:" + n).orElse("run:" + runId) + ":" + ecosystem;
    }

    /** @return whether a key names a run-private cache, discarded after the run */
    public static boolean isRunPrivate(String key) {
        return key.startsWith("run:");
    }

    /**
     * @param key a cache key
     * @return the lock that serialises installs into it
     */
    public ReentrantLock lock(String key) {
        return isRunPrivate(key) ? new ReentrantLock() : locks.computeIfAbsent(key, k -> new ReentrantLock(true));
    }

    /**
     * @param key a cache key
     * @param specs installer arguments
     * @return whether every one was installed into that cache by this runner already
     */
    public boolean allInstalled(String key, List<String> specs) {
        return specs.stream().allMatch(spec -> installed.contains(key + "\n" + spec));
    }

    /**
     * Notes successful installs.
     *
     * @param key a cache key
     * @param specs installer arguments
     */
    public void remember(String key, List<String> specs) {
        if (!isRunPrivate(key)) {
            specs.forEach(spec -> installed.add(key + "\n" + spec));
        }
    }

    /** @param key a cache key whose content is gone */
    public void forget(String key) {
        installed.removeIf(entry -> entry.startsWith(key + "\n"));
    }

    /** @return how many locks and install entries are kept (for leak checks) */
    public int entries() {
        return locks.size() + installed.size();
    }
}
