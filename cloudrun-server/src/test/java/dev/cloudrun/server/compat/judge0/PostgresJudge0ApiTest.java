package dev.cloudrun.server.compat.judge0;

import dev.cloudrun.server.db.DatabaseUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/**
 * The Judge0 API's tests with its store and queue on a real PostgreSQL server ({@code scripts/start-postgres.sh};
 * {@code CLOUDRUN_TEST_POSTGRES_URL} overrides where it is), in a fresh schema; the local backend runs the code.
 * If the server is not there, this test fails: it is never skipped.
 */
class PostgresJudge0ApiTest extends Judge0ApiKit {
    private static final String URL = System.getenv().getOrDefault("CLOUDRUN_TEST_POSTGRES_URL",
            "postgresql://cloudrun:cloudrun@127.0.0.1:5432/cloudrun_test");

    private final String schema = "judge0_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    private boolean created;

    @Override
    String backend() {
        return "local";
    }

    @Override
    Map<String, String> databaseSettings() {
        if (!created) {
            execute("CREATE SCHEMA " + schema);
            created = true;
        }
        return Map.of("DATABASE_URL", URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + schema);
    }

    @AfterAll
    void dropSchema() {
        execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }

    private static void execute(String sql) {
        DatabaseUrl url = DatabaseUrl.parse(URL);
        try (Connection connection = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError("PostgreSQL is not reachable (run scripts/start-postgres.sh): " + e.getMessage(), e);
        }
    }
}
