package dev.cloudrun.server.compat.judge0;

import dev.cloudrun.server.PostgresSchema;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;

/**
 * The Judge0 API's tests with its store and queue on a real PostgreSQL server ({@code scripts/start-postgres.sh};
 * {@code CLOUDRUN_TEST_POSTGRES_URL} overrides where it is), in a fresh schema; the local backend runs the code.
 * If the server is not there, this test fails: it is never skipped.
 */
class PostgresJudge0ApiTest extends Judge0ApiKit {
    private PostgresSchema schema;

    @Override
    String backend() {
        return "local";
    }

    @Override
    Map<String, String> databaseSettings() {
        if (schema == null) {
            schema = PostgresSchema.create("judge0");
        }
        return Map.of("DATABASE_URL", schema.url());
    }

    @AfterAll
    void dropSchema() {
        if (schema != null) {
            schema.drop();
        }
    }
}
