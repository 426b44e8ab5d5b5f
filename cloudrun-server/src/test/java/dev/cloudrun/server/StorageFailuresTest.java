package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.StorageFailures;
import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.Test;

/** Which failures are the storage's (503 database_unavailable, 507 storage_full) and which are not. */
class StorageFailuresTest {

    @Test
    void a_database_that_does_not_answer_is_a_503() {
        assertThat(StorageFailures.classify(new UnableToExecuteStatementException(
                new SQLException("An I/O error occurred while sending to the backend.", "08006"), null)))
                .map(ApiError::code).contains("database_unavailable");
        assertThat(StorageFailures.classify(new IllegalStateException(
                new SQLTransientConnectionException("cloudrun-db - Connection is not available"))))
                .map(ApiError::status).contains(503);
        assertThat(StorageFailures.classify(new SQLException("terminating connection due to administrator command", "57P01")))
                .map(ApiError::code).contains("database_unavailable");
    }

    @Test
    void a_full_disk_is_a_507() {
        assertThat(StorageFailures.classify(new UnableToExecuteStatementException(new SQLException(
                "[SQLITE_FULL] Insertion failed because database is full (database or disk is full)"), null)))
                .map(ApiError::status).contains(507);
        assertThat(StorageFailures.classify(new SQLException("could not extend file: No space left on device", "53100")))
                .map(ApiError::code).contains("storage_full");
    }

    @Test
    void other_failures_are_not_the_storage() {
        assertThat(StorageFailures.classify(new RuntimeException(new ConnectException("Connection refused")))).isEmpty();
        assertThat(StorageFailures.classify(new SQLException("UNIQUE constraint failed", "23505"))).isEmpty();
        assertThat(StorageFailures.classify(new NullPointerException())).isEmpty();
    }
}
