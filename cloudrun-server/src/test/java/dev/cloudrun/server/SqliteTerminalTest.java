package dev.cloudrun.server;

import java.util.Map;

/** The terminal kit on the default embedded SQLite database. */
class SqliteTerminalTest extends TerminalTestKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }
}
