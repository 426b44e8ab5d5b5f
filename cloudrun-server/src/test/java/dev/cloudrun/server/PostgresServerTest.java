package dev.cloudrun.server;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The server test kit on a real PostgreSQL server ({@code scripts/start-postgres.sh} starts one;
 * {@code CLOUDRUN_TEST_POSTGRES_URL} overrides where it is). Each run uses a fresh schema. If the
 * server is not there, this test fails: it is never skipped.
 */
class PostgresServerTest extends ServerTestKit {
    private PostgresSchema schema;

    @Override
    Map<String, String> databaseSettings() {
        schema = PostgresSchema.create("test");
        return Map.of("DATABASE_URL", schema.url());
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }
}
