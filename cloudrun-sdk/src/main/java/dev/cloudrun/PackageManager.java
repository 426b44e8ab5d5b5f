package dev.cloudrun;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a language installs third-party packages, part of its {@link Language} descriptor (the
 * {@code packages} object in {@code languages.json}).
 *
 * <p>The install command runs in its own sandbox step with network access and the package cache
 * mounted writable at {@link #installMount()}; later runs see the cache read-only at
 * {@link #runMount()} with {@link #runEnv()} set. In the install command, {@code {index}} is the
 * configured index or registry URL; the package names (validated against the ecosystem's grammar)
 * are appended as separate arguments.
 *
 * @param ecosystem {@code pypi} or {@code npm}: selects the name grammar and the module map
 * @param manifest the file that declares dependencies ({@code requirements.txt}, {@code package.json})
 * @param installCommand the installer's argument list, before the package names
 * @param installMount where the cache is mounted, writable, during installation
 * @param runMount where the cache is mounted, read-only, during runs
 * @param runEnv environment variables that make the runtime find the cache
 * @param installEnv environment variables of the install step (for example the system CA bundle, so
 *     that installs work behind a TLS-inspecting proxy whose CA the host trusts)
 * @param defaultIndex the public index used when none is configured
 */
public record PackageManager(String ecosystem, String manifest, List<String> installCommand, String installMount,
                             String runMount, Map<String, String> runEnv, Map<String, String> installEnv,
                             String defaultIndex) {
    /** Checks and copies the components. */
    public PackageManager {
        Objects.requireNonNull(ecosystem, "ecosystem");
        installCommand = List.copyOf(installCommand);
        runEnv = Map.copyOf(runEnv);
        installEnv = Map.copyOf(installEnv);
        Objects.requireNonNull(installMount, "installMount");
        Objects.requireNonNull(runMount, "runMount");
        if (installCommand.isEmpty()) {
            throw new IllegalArgumentException("packages.install is empty");
        }
    }
}
