package dev.cloudrun.server;

import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.config.ServerConfigException;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The IDE server: REST and WebSocket API over the SDK, with accounts, projects, run history and
 * quotas, and the browser IDE at {@code /}. {@code ./cloudrun serve} calls {@link #main(String[])}.
 *
 * <pre>{@code
 * try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0"))).start()) {
 *     System.out.println("listening on " + server.port());
 * }
 * }</pre>
 */
public final class CloudRunServer implements AutoCloseable {
    private final ServerConfig config;
    private final ServerComponents components;

    private CloudRunServer(ServerConfig config) {
        this.config = config;
        this.components = new ServerComponents(config);
    }

    /**
     * Builds the server: opens and migrates the database and picks the sandbox. Nothing listens yet.
     *
     * @param config the configuration
     * @return the server
     */
    public static CloudRunServer create(ServerConfig config) {
        return new CloudRunServer(config);
    }

    /**
     * Starts listening.
     *
     * @return this server
     */
    public CloudRunServer start() {
        components.app.start(config.http().host(), config.http().port());
        if (components.judge0App != null) {
            components.judge0App.start(config.http().host(), config.compat().judge0Port().orElseThrow());
        }
        return this;
    }

    /** @return the port of the Judge0-only listener ({@code CLOUDRUN_JUDGE0_PORT}), if there is one */
    public java.util.OptionalInt judge0Port() {
        return components.judge0App == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(components.judge0App.port());
    }

    /** @return the port the server listens on (useful with port 0) */
    public int port() {
        return components.app.port();
    }

    /** @return the name of the sandbox backend in use, or empty when none is available */
    public java.util.Optional<String> backendName() {
        return java.util.Optional.ofNullable(components.runner).map(dev.cloudrun.CodeRunner::backendName);
    }

    /** Destroys sandboxes prepared ahead of demand that no run holds ({@link dev.cloudrun.CodeRunner#releaseIdle}). */
    public void releaseIdleSandboxes() {
        if (components.runner != null) {
            components.runner.releaseIdle();
        }
    }

    /** Stops listening, cancels running programs and closes the database. */
    public void stop() {
        components.close();
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * Starts the server and blocks until the process is stopped.
     *
     * @param args {@code --port N}, {@code --host H}, {@code --data-dir D}, {@code --database-url U},
     *     {@code --backend B}, {@code --config FILE}
     */
    public static void main(String[] args) {
        OomScore.protectServer();
        CloudRunServer server;
        try {
            server = create(ServerConfig.load(args, System.getenv())).start();
        } catch (ServerConfigException e) {
            System.err.println("cloudrun serve: " + e.getMessage());
            System.exit(2);
            return;
        } catch (RuntimeException e) {
            // A database that does not answer, a port in use: say so in one line, not a stack trace.
            String cause = e.getCause() == null ? null : e.getCause().getMessage();
            System.err.println("cloudrun serve: cannot start: " + e.getMessage()
                    + (cause != null && !String.valueOf(e.getMessage()).contains(cause) ? " (" + cause + ")" : ""));
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stopped.countDown();
        }, "cloudrun-server-shutdown"));
        String host = server.config.http().host();
        String shownHost = host.equals("0.0.0.0") ? "localhost" : host;
        System.out.println("CloudRun server listening on http://" + shownHost + ":" + server.port()
                + " (sandbox: " + server.backendName().orElse("unavailable") + ", data: " + server.config.dataDir() + ")");
        server.judge0Port().ifPresent(port -> System.out.println("Judge0 API alone at http://" + shownHost + ":" + port + "/"));
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
