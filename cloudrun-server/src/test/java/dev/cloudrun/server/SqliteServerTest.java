package dev.cloudrun.server;

import java.util.Map;

/** The server test kit on the default embedded SQLite database (a real file in the data directory). */
class SqliteServerTest extends ServerTestKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }
}
