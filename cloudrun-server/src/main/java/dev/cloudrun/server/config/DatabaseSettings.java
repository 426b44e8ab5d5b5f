package dev.cloudrun.server.config;

import dev.cloudrun.server.db.DatabaseUrl;
import java.nio.file.Path;

/**
 * The database.
 *
 * @param url {@code DATABASE_URL}, else {@code CLOUDRUN_DATABASE_URL}, else SQLite at {@code DATA_DIR/cloudrun.db}
 */
public record DatabaseSettings(DatabaseUrl url) {

    static DatabaseSettings from(SettingValues values, Path dataDir) {
        return new DatabaseSettings(values.get(Settings.DATABASE_URL)
                .or(() -> values.get(Settings.CLOUDRUN_DATABASE_URL))
                .orElseGet(() -> DatabaseUrl.parse("jdbc:sqlite:" + dataDir.resolve("cloudrun.db"))));
    }
}
