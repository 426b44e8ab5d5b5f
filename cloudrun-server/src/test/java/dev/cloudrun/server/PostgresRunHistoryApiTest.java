package dev.cloudrun.server;

import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/** The run history kit on a real PostgreSQL server, in a fresh schema; never skipped. */
class PostgresRunHistoryApiTest extends RunHistoryApiKit {
    private PostgresSchema schema;

    @Override
    Map<String, String> databaseSettings() {
        schema = PostgresSchema.create("history");
        return Map.of("DATABASE_URL", schema.url());
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }
}
