package dev.cloudrun.server;

import dev.cloudrun.server.db.DatabaseUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A schema of its own on the test PostgreSQL server ({@code CLOUDRUN_TEST_POSTGRES_URL}, by default
 * the one {@code scripts/start-postgres.sh} starts), so that test classes never share tables. When
 * the server is not there, the test fails: it is never skipped.
 */
public final class PostgresSchema {
    /** The test server's URL, without a schema. */
    public static final String SERVER_URL = System.getenv().getOrDefault("CLOUDRUN_TEST_POSTGRES_URL",
            "postgresql://cloudrun:cloudrun@127.0.0.1:5432/cloudrun_test");

    private final String name;

    private PostgresSchema(String name) {
        this.name = name;
    }

    /**
     * @param prefix what the schema's name starts with (letters and underscores)
     * @return a new, empty schema
     */
    public static PostgresSchema create(String prefix) {
        PostgresSchema schema = new PostgresSchema(prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
        execute("CREATE SCHEMA " + schema.name);
        return schema;
    }

    /** @return the schema's name */
    public String name() {
        return name;
    }

    /** @return a database URL (as {@code DATABASE_URL} takes it) whose tables live in this schema */
    public String url() {
        return SERVER_URL + (SERVER_URL.contains("?") ? "&" : "?") + "currentSchema=" + name;
    }

    /** Drops the schema and everything in it. */
    public void drop() {
        execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    }

    /** Reads one row of a query's result. */
    public interface Row {
        /**
         * @param rows the result, on the current row
         * @throws SQLException if a column cannot be read
         */
        void read(ResultSet rows) throws SQLException;
    }

    /**
     * Runs a query on this schema's tables.
     *
     * @param sql the query
     * @param row called for every row
     * @throws SQLException if the query fails
     */
    public void query(String sql, Row row) throws SQLException {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("SET search_path TO " + name);
            try (ResultSet rows = statement.executeQuery(sql)) {
                while (rows.next()) {
                    row.read(rows);
                }
            }
        }
    }

    private static void execute(String sql) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError("PostgreSQL is not reachable at " + SERVER_URL
                    + " (run scripts/start-postgres.sh): " + e.getMessage(), e);
        }
    }

    private static Connection connect() throws SQLException {
        DatabaseUrl url = DatabaseUrl.parse(SERVER_URL);
        return DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
    }
}
