package dev.cloudrun.server;

import java.util.Map;

/** {@link McpHttpKit} on SQLite, the default database in each server's data dir. */
class SqliteMcpHttpTest extends McpHttpKit {
    @Override
    Map<String, String> databaseSettings() {
        return Map.of();
    }
}
