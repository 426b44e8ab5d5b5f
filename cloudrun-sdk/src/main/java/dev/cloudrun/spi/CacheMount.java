package dev.cloudrun.spi;

import java.util.Objects;

/**
 * A package cache mounted into a step: writable while a package manager installs into it,
 * read-only while the program runs. The backend decides where the cache lives (a host folder, a
 * volume) from its key.
 *
 * @param cacheKey which cache: {@link dev.cloudrun.RunRequest#withPackageCache(String)}'s key plus the
 *     ecosystem, or a run-private key
 * @param path where the step sees it, an absolute path
 * @param writable whether the step may write to it
 */
public record CacheMount(String cacheKey, String path, boolean writable) {
    /** Checks the components. */
    public CacheMount {
        Objects.requireNonNull(cacheKey, "cacheKey");
        if (!cacheKey.matches("[A-Za-z0-9._:-]{1,160}")) {
            throw new IllegalArgumentException("cache key holds characters other than letters, digits and ._:-");
        }
        if (path == null || !path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("cache mount path must be absolute: " + path);
        }
    }
}
