package dev.cloudrun.internal;

import dev.cloudrun.internal.packages.ModulePackageMap;
import dev.cloudrun.internal.packages.PackageCaches;
import dev.cloudrun.internal.packages.PackageSettings;

/**
 * What a run needs to detect and install packages, shared by all runs of an engine.
 *
 * @param settings indexes, install limits, cache cap
 * @param caches cache keys, locks and what is installed
 * @param modules the module-to-package map
 */
record PackageContext(PackageSettings settings, PackageCaches caches, ModulePackageMap modules) { }
