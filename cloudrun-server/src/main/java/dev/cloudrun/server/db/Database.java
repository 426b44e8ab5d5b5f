package dev.cloudrun.server.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The server's database: a pooled connection, Jdbi on top, and the schema brought up to date with
 * Flyway's versioned migrations ({@code db/migration/V*.sql}, the same files on SQLite and
 * PostgreSQL; only the binary column type differs, through the {@code blob_type} placeholder).
 *
 * <p>SQLite runs in WAL mode with {@code synchronous=FULL} (a committed transaction survives the
 * process being killed, and the machine losing power), a busy timeout, and {@code BEGIN IMMEDIATE}
 * transactions so that concurrent writers wait for each other instead of failing. A folder it
 * creates for the file is the owner's only (0700), and the database file is created (or set) 0600
 * before SQLite opens it; SQLite gives the {@code -wal} and {@code -shm} files the database file's
 * mode. ({@link #secureDataDirectory} tightens the server's data directory itself.)
 */
public final class Database implements AutoCloseable {
    private final DatabaseUrl url;
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;

    private Database(DatabaseUrl url, HikariDataSource dataSource) {
        this.url = url;
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource);
    }

    /**
     * Connects and migrates.
     *
     * @param url the database location
     * @return the open database
     */
    public static Database open(DatabaseUrl url) {
        HikariConfig pool = new HikariConfig();
        pool.setPoolName("cloudrun-db");
        if (url.kind() == DatabaseUrl.Kind.SQLITE) {
            createParentDirectory(url.jdbcUrl());
            SQLiteConfig sqlite = new SQLiteConfig();
            sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
            sqlite.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            sqlite.setBusyTimeout(15_000);
            sqlite.enforceForeignKeys(true);
            sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
            SQLiteDataSource sqliteSource = new SQLiteDataSource(sqlite);
            sqliteSource.setUrl(url.jdbcUrl());
            pool.setDataSource(sqliteSource);
            // One writer at a time is all SQLite allows; a few connections let reads go on meanwhile.
            pool.setMaximumPoolSize(4);
        } else {
            pool.setJdbcUrl(url.jdbcUrl());
            if (url.user() != null) {
                pool.setUsername(url.user());
            }
            if (url.password() != null) {
                pool.setPassword(url.password());
            }
            pool.setMaximumPoolSize(10);
        }
        // A database that does not answer fails a request within a few seconds (503 database_unavailable), not 20 s;
        // connections are checked before use, so the pool recovers by itself once the database is back.
        pool.setConnectionTimeout(url.kind() == DatabaseUrl.Kind.SQLITE ? 20_000 : 3_000);
        pool.setValidationTimeout(1_000);
        pool.setKeepaliveTime(60_000);
        HikariDataSource dataSource = new HikariDataSource(pool);
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations("classpath:dev/cloudrun/server/db/migration")
                    .placeholders(Map.of("blob_type", url.kind() == DatabaseUrl.Kind.SQLITE ? "BLOB" : "BYTEA"))
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return new Database(url, dataSource);
    }

    private static void createParentDirectory(String jdbcUrl) {
        String location = jdbcUrl.substring("jdbc:sqlite:".length());
        int query = location.indexOf('?');
        if (query >= 0) {
            location = location.substring(0, query);
        }
        if (location.isEmpty() || location.startsWith(":memory:") || location.startsWith("file:")) {
            return;
        }
        Path file = Path.of(location).toAbsolutePath();
        Path parent = file.getParent();
        try {
            if (!Files.exists(parent)) {
                Files.createDirectories(parent);
                ownerOnly(parent, "rwx------");
            }
            if (!Files.exists(file)) {
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                } catch (UnsupportedOperationException e) {
                    Files.createFile(file);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // Another process created it meanwhile.
                }
            }
            for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
                Path part = Path.of(file + suffix);
                if (Files.exists(part)) {
                    ownerOnly(part, "rw-------");
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the database directory " + parent + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates the server's data directory readable by its owner only (0700), or takes group and
     * others' access away from an existing one: it holds the database and the token secret.
     *
     * @param dataDir the data directory
     */
    public static void secureDataDirectory(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            ownerOnly(dataDir, "rwx------");
        } catch (IOException e) {
            throw new IllegalStateException("cannot create or secure the data directory " + dataDir + ": " + e.getMessage(), e);
        }
    }

    private static void ownerOnly(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its own access control applies.
        }
    }

    /** @return Jdbi over the pool */
    public Jdbi jdbi() {
        return jdbi;
    }

    /** @return which database this is */
    public DatabaseUrl.Kind kind() {
        return url.kind();
    }

    /** @return whether a trivial query answers */
    public boolean isHealthy() {
        try {
            return jdbi.withHandle(handle -> handle.createQuery("SELECT 1").mapTo(Integer.class).one()) == 1;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
