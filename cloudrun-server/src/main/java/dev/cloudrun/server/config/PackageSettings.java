package dev.cloudrun.server.config;

import java.util.Optional;

/**
 * Package installs.
 *
 * @param install whether clients may ask for missing packages to be installed ({@code CLOUDRUN_PACKAGE_INSTALL})
 * @param cacheScope {@code project} (one package cache per project) or {@code user} (one per user)
 *     ({@code CLOUDRUN_PACKAGE_CACHE_SCOPE})
 * @param pypiIndexUrl the Python package index, empty for PyPI ({@code CLOUDRUN_PYPI_INDEX_URL})
 * @param npmRegistryUrl the npm registry, empty for the public one ({@code CLOUDRUN_NPM_REGISTRY_URL})
 */
public record PackageSettings(boolean install, String cacheScope, Optional<String> pypiIndexUrl,
        Optional<String> npmRegistryUrl) {

    static PackageSettings from(SettingValues values) {
        return new PackageSettings(values.get(Settings.PACKAGE_INSTALL), values.get(Settings.PACKAGE_CACHE_SCOPE),
                values.get(Settings.PYPI_INDEX_URL), values.get(Settings.NPM_REGISTRY_URL));
    }
}
