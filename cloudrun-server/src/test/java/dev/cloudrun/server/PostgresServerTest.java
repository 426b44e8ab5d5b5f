package dev.cloudrun.server;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import dev.cloudrun.server.db.DatabaseUrl;
import org.junit.jupiter.api.AfterAll;

/**
 * The server test kit on a real PostgreSQL server ({@code scripts/start-postgres.sh} starts one;
 * {@code CLOUDRUN_TEST_POSTGRES_URL} overrides where it is). Each run uses a fresh schema. If the
 * server is not there, this test fails: it is never skipped.
 */
class PostgresServerTest extends ServerTestKit {
    static final String URL = System.getenv().getOrDefault("CLOUDRUN_TEST_POSTGRES_URL",
            "postgresql://cloudrun:cloudrun@127.0.0.1:5432/cloudrun_test");

    private final String schema = "test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);

    @Override
    Map<String, String> databaseSettings() {
        execute("CREATE SCHEMA " + schema);
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
            throw new AssertionError("PostgreSQL is not reachable at " + url + " (run scripts/start-postgres.sh): " + e.getMessage(), e);
        }
    }
}
