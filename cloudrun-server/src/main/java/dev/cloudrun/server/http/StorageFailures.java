package dev.cloudrun.server.http;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.ConnectionException;

/**
 * Recognises failures of the server's storage rather than of its code: a database that does not
 * answer (stopped, restarting, unreachable) becomes a 503 {@code database_unavailable}, a full disk
 * a 507 {@code storage_full}. Both are answered without a stack trace and logged in one line.
 */
public final class StorageFailures {
    private StorageFailures() { }

    /**
     * @param failure what a handler threw
     * @return the error to answer with, or empty when the failure is not the storage's
     */
    public static Optional<ApiError> classify(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            // Only failures inside the database layer: a refused connection to anything else is not the database's.
            if (cause instanceof ConnectionException || cause instanceof SQLTransientConnectionException) {
                return Optional.of(unavailable());
            }
            if (cause instanceof SQLException sql) {
                String state = sql.getSQLState() == null ? "" : sql.getSQLState();
                String message = String.valueOf(sql.getMessage()).toLowerCase(Locale.ROOT);
                // 08: connection exceptions; 57P01-03: the server is shutting down or starting up.
                if (state.startsWith("08") || state.startsWith("57P")) {
                    return Optional.of(unavailable());
                }
                // 53100: PostgreSQL's disk_full; SQLITE_FULL (13) and SQLITE_IOERR on a full disk.
                if (state.equals("53100") || message.contains("sqlite_full") || message.contains("disk is full")
                        || message.contains("no space left")) {
                    return Optional.of(ApiError.of(507, "storage_full",
                            "the server's disk is full: the change was not saved; free some space and try again"));
                }
            }
        }
        return Optional.empty();
    }

    private static ApiError unavailable() {
        return ApiError.of(503, "database_unavailable", "the database is not answering; try again in a few seconds");
    }
}
