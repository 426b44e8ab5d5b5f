package dev.cloudrun.server;

import java.util.Map;

/** The run history kit on the default embedded SQLite database (a real file in the data directory). */
class SqliteRunHistoryApiTest extends RunHistoryApiKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }
}
