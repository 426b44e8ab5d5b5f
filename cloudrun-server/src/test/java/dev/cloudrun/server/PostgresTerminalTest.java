package dev.cloudrun.server;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The terminal kit on a real PostgreSQL server (a fresh schema; fails, never skips, without one). */
class PostgresTerminalTest extends TerminalTestKit {
    private PostgresSchema schema;

    @Override
    Map<String, String> databaseSettings() {
        schema = PostgresSchema.create("terminal");
        return Map.of("DATABASE_URL", schema.url());
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }
}
