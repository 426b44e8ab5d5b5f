package dev.cloudrun.server.config;

import java.util.List;
import java.util.Optional;

/**
 * The other servers' APIs that CloudRun answers (docs/compat.md).
 *
 * @param enabled {@code jobe}, {@code piston}, {@code judge0} ({@code CLOUDRUN_COMPAT})
 * @param jobeRequiresKey whether the Jobe API wants an API key ({@code CLOUDRUN_JOBE_REQUIRE_KEY})
 * @param judge0AllowNetwork whether Judge0 submissions may ask for the network ({@code CLOUDRUN_JUDGE0_ALLOW_NETWORK})
 * @param judge0Path where the Judge0 API lives on the main port ({@code CLOUDRUN_JUDGE0_PATH})
 * @param judge0Lease how long a node's claim on a Judge0 submission lasts unless renewed
 *     ({@code CLOUDRUN_JUDGE0_LEASE_SECONDS})
 * @param judge0Port the port of a listener that serves only the Judge0 API at {@code /}, if any
 *     ({@code CLOUDRUN_JUDGE0_PORT}; 0 picks a free one)
 */
public record CompatSettings(List<String> enabled, boolean jobeRequiresKey, boolean judge0AllowNetwork, String judge0Path,
                             Optional<Integer> judge0Port, java.time.Duration judge0Lease) {

    public CompatSettings {
        enabled = List.copyOf(enabled);
    }

    static CompatSettings from(SettingValues values) {
        return new CompatSettings(values.get(Settings.COMPAT), values.get(Settings.JOBE_REQUIRE_KEY),
                values.get(Settings.JUDGE0_ALLOW_NETWORK), values.get(Settings.JUDGE0_PATH), values.get(Settings.JUDGE0_PORT),
                java.time.Duration.ofSeconds(values.get(Settings.JUDGE0_LEASE_SECONDS)));
    }

    /**
     * @param api {@code jobe}, {@code piston} or {@code judge0}
     * @return whether the operator switched it on
     */
    public boolean enabled(String api) {
        return enabled.contains(api);
    }
}
