package dev.cloudrun.server.config;

import java.util.HashMap;
import java.util.Map;

/** The value of every declared setting, each parsed once from its text. */
final class SettingValues {
    private final Map<Setting<?>, Object> values = new HashMap<>();

    /**
     * Parses every setting.
     *
     * @param texts setting name to its (already merged) text; a missing name takes the default
     * @throws ServerConfigException naming the first setting whose value is refused
     */
    SettingValues(Map<String, String> texts) {
        for (Setting<?> setting : Settings.all()) {
            values.put(setting, setting.parse(texts.getOrDefault(setting.name(), setting.defaultText())));
        }
    }

    @SuppressWarnings("unchecked")
    <T> T get(Setting<T> setting) {
        return (T) values.get(setting);
    }
}
