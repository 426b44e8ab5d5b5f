package dev.cloudrun.internal.packages;

import dev.cloudrun.Limits;
import dev.cloudrun.PackageManager;
import java.util.Map;

/**
 * A runner's package options.
 *
 * @param indexes index or registry URL per ecosystem (absent: the language's default)
 * @param installLimits limits of install steps
 * @param cacheMaxBytes the most a package cache may hold
 */
public record PackageSettings(Map<String, String> indexes, Limits installLimits, long cacheMaxBytes) {
    /** Copies the map. */
    public PackageSettings {
        indexes = Map.copyOf(indexes);
    }

    /**
     * @param manager a language's package manager
     * @return the index URL its installs use
     */
    public String indexFor(PackageManager manager) {
        return indexes.getOrDefault(manager.ecosystem(), manager.defaultIndex());
    }
}
