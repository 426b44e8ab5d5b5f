package dev.cloudrun.server.config;

import java.util.List;

/**
 * The other servers' APIs that CloudRun answers (docs/compat.md).
 *
 * @param enabled {@code jobe}, {@code piston} ({@code CLOUDRUN_COMPAT})
 * @param jobeRequiresKey whether the Jobe API wants an API key ({@code CLOUDRUN_JOBE_REQUIRE_KEY})
 */
public record CompatSettings(List<String> enabled, boolean jobeRequiresKey) {

    public CompatSettings {
        enabled = List.copyOf(enabled);
    }

    static CompatSettings from(SettingValues values) {
        return new CompatSettings(values.get(Settings.COMPAT), values.get(Settings.JOBE_REQUIRE_KEY));
    }

    /**
     * @param api {@code jobe} or {@code piston}
     * @return whether the operator switched it on
     */
    public boolean enabled(String api) {
        return enabled.contains(api);
    }
}
