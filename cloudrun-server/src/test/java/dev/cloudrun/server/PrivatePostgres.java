package dev.cloudrun.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of a test's own (its own data folder and loopback port, run as the
 * {@code postgres} user with Debian's binaries, as {@code scripts/start-postgres.sh} finds them), so
 * a test can stop and start it without touching the shared one. Needs root.
 */
final class PrivatePostgres implements AutoCloseable {
    private final Path root;
    private final Path data;
    private final Path bin;
    private final int port;

    private PrivatePostgres(Path root, Path bin, int port) {
        this.root = root;
        this.data = root.resolve("data");
        this.bin = bin;
        this.port = port;
    }

    /**
     * Creates a cluster in a fresh folder with a {@code cloudrun} role and database, and starts it.
     *
     * @return the running server
     */
    static PrivatePostgres start() throws IOException, InterruptedException {
        Path versions = Path.of("/usr/lib/postgresql");
        Path bin;
        try (Stream<Path> found = Files.list(versions)) {
            bin = found.max(Comparator.comparingInt(version -> Integer.parseInt(version.getFileName().toString())))
                    .orElseThrow(() -> new IllegalStateException("PostgreSQL is not installed (apt-get install postgresql)"))
                    .resolve("bin");
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path root = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-pg-");
        PrivatePostgres postgres = new PrivatePostgres(root, bin, port);
        try {
            run("chown", "postgres:postgres", root.toString());
            postgres.asPostgres(bin.resolve("initdb").toString(), "-D", postgres.data.toString(), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8");
            postgres.startServer();
            postgres.asPostgres(bin.resolve("psql").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                    "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
                    "-c", "CREATE ROLE cloudrun LOGIN PASSWORD 'cloudrun'", "-c", "CREATE DATABASE cloudrun OWNER cloudrun");
            return postgres;
        } catch (IOException | InterruptedException | RuntimeException e) {
            postgres.close();
            throw e;
        }
    }

    /** @return the URL the server's {@code DATABASE_URL} takes */
    String url() {
        return "postgresql://cloudrun:cloudrun@127.0.0.1:" + port + "/cloudrun";
    }

    /** Starts the server (again) and waits until it accepts connections. */
    void startServer() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("postgres.log").toString(),
                "-o", "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1", "-w", "-t", "60", "start");
    }

    /** Stops the server at once (open connections are cut, as when it crashes or restarts). */
    void stopServer() throws IOException, InterruptedException {
        asPostgres(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "-t", "60", "stop");
    }

    private void asPostgres(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        full.addAll(List.of(command));
        run(full.toArray(String[]::new));
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
        }
    }

    /** Stops the server if it runs and deletes its folder. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (Files.exists(data.resolve("postmaster.pid"))) {
            try {
                stopServer();
            } catch (IllegalStateException e) {
                // Already stopped.
            }
        }
        run("rm", "-rf", root.toString());
    }
}
