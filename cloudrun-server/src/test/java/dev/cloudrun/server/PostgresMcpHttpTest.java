package dev.cloudrun.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@link McpHttpKit} on a real PostgreSQL server, a fresh schema for each server it starts. */
class PostgresMcpHttpTest extends McpHttpKit {
    private final List<PostgresSchema> schemas = new ArrayList<>();

    @Override
    Map<String, String> databaseSettings() {
        PostgresSchema schema = PostgresSchema.create("mcp");
        schemas.add(schema);
        return Map.of("DATABASE_URL", schema.url());
    }

    @Override
    void serversStopped() {
        schemas.forEach(PostgresSchema::drop);
    }
}
