package dev.cloudrun.server.terminals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.server.auth.AuthService;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.http.UnauthenticatedSockets;
import dev.cloudrun.server.http.UpgradeContexts;
import dev.cloudrun.server.projects.ProjectService;
import dev.cloudrun.server.runs.RunSocket;
import dev.cloudrun.server.runs.SocketSender;
import io.javalin.websocket.WsCloseContext;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsErrorContext;
import io.javalin.websocket.WsMessageContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /ws/terminal/{projectId}} endpoint: one socket is one terminal of the project's
 * workspace, with the JSON protocol of {@code docs/protocol.md} ("Terminals"). It authenticates as
 * {@code /ws/run} does (token in the query or a first {@code auth} message, the same deadline, the
 * same per-address cap on unauthenticated sockets, shared with it); only the project's owner gets
 * in. Keystrokes are bounded per second; output is batched, and a socket that falls more than
 * {@link #MAX_QUEUED_CHARS} behind is cut off (no close handshake: a client that does not read would
 * not read that either) rather than buffered without end: its terminal goes on and can be re-attached. The program's bytes are passed on as
 * they are (escape sequences included: OSC 52, DECRQSS and the like are the terminal emulator's to
 * refuse).
 */
public final class TerminalSocket {
    /** The endpoint's path. */
    public static final String PATH = "/ws/terminal/{projectId}";
    /** Close code for someone else's or a missing project. */
    public static final int CLOSE_NOT_FOUND = 4404;
    /** Close code for a socket whose terminal another socket re-attached to. */
    public static final int CLOSE_REPLACED = 4409;
    /** Output a slow client may leave unread before its socket is closed. */
    static final long MAX_QUEUED_CHARS = 2L * 1024 * 1024;
    /** Keystroke bytes accepted per second and socket (a large paste fits). */
    static final int MAX_INPUT_BYTES_PER_SECOND = 256 * 1024;
    /** The largest terminal accepted, in columns and rows. */
    static final int MAX_COLUMNS = 1000;
    static final int MAX_ROWS = 500;
    private static final Duration OUTPUT_BATCH = Duration.ofMillis(5);
    private static final int OUTPUT_BATCH_CHARS = 32 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(TerminalSocket.class);

    private final WorkspaceRegistry workspaces;
    private final ProjectService projects;
    private final AuthService auth;
    private final ExecutorService sendExecutor;
    private final ScheduledExecutorService scheduler;
    private final int maxMessageBytes;
    private final Duration pingInterval;
    private final ClientAddress clients;
    private final Duration authTimeout;
    private final UnauthenticatedSockets unauthenticated;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();

    /**
     * Creates the endpoint.
     *
     * @param workspaces the open workspaces
     * @param projects checks that the project is the caller's
     * @param auth resolves tokens
     * @param sendExecutor drains the sockets' send queues
     * @param scheduler sends pings, flushes output
     * @param maxMessageBytes the largest client message accepted
     * @param pingInterval how often to ping
     * @param clients tells the client's address
     * @param authTimeout how long a socket may stay open without authenticating
     * @param unauthenticated the per-address count of sockets that have not authenticated (shared with /ws/run)
     */
    public TerminalSocket(WorkspaceRegistry workspaces, ProjectService projects, AuthService auth, ExecutorService sendExecutor,
                          ScheduledExecutorService scheduler, int maxMessageBytes, Duration pingInterval, ClientAddress clients,
                          Duration authTimeout, UnauthenticatedSockets unauthenticated) {
        this.workspaces = workspaces;
        this.projects = projects;
        this.auth = auth;
        this.sendExecutor = sendExecutor;
        this.scheduler = scheduler;
        this.maxMessageBytes = maxMessageBytes;
        this.pingInterval = pingInterval;
        this.clients = clients;
        this.authTimeout = authTimeout;
        this.unauthenticated = unauthenticated;
    }

    /**
     * Wires the handlers.
     *
     * @param ws the endpoint's configuration
     */
    public void configure(WsConfig ws) {
        ws.onConnect(this::onConnect);
        ws.onMessage(this::onMessage);
        ws.onBinaryMessage(ctx -> connection(ctx).error("unsupported_message", "send JSON text messages, not binary", null));
        ws.onClose(this::onClose);
        ws.onError(this::onError);
    }

    /** @return how many sockets are open */
    public int openConnections() {
        return connections.size();
    }

    private void onConnect(WsConnectContext ctx) {
        String peer = ctx.session.getRemoteAddress() instanceof InetSocketAddress socket
                ? socket.getAddress().getHostAddress() : String.valueOf(ctx.session.getRemoteAddress());
        Connection connection = new Connection(new SocketSender(ctx.session, sendExecutor),
                clients.of(peer, ctx.header("X-Forwarded-For")), ctx.pathParam("projectId"));
        connections.put(ctx.sessionId(), connection);
        String token = ctx.queryParam("token");
        UpgradeContexts.release(ctx);
        if (!unauthenticated.admit(connection.address)) {
            connection.error("too_many_sockets", "this address has too many sockets that have not authenticated", null);
            connection.sender.close(RunSocket.CLOSE_TOO_MANY, "too many unauthenticated sockets");
            return;
        }
        long intervalMs = pingInterval.toMillis();
        connection.pings = scheduler.scheduleAtFixedRate(connection.sender::ping, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        connection.authDeadline = scheduler.schedule(connection::authTimedOut, authTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (token != null) {
            handle(connection, () -> connection.authenticate(token));
        }
    }

    private void onMessage(WsMessageContext ctx) {
        Connection connection = connection(ctx);
        String text = ctx.message();
        if (text.length() > maxMessageBytes || text.getBytes(StandardCharsets.UTF_8).length > maxMessageBytes) {
            connection.error("message_too_big", "messages may be at most " + maxMessageBytes + " bytes", null);
            connection.sender.close(RunSocket.CLOSE_TOO_BIG, "message too big");
            return;
        }
        handle(connection, () -> {
            ObjectNode message = Json.parseObject(text);
            String type = Json.requiredText(message, "type").toLowerCase(Locale.ROOT);
            switch (type) {
                case "auth" -> connection.authenticate(Json.requiredText(message, "token"));
                case "open" -> connection.open(message);
                case "input" -> connection.input(Json.requiredText(message, "data"));
                case "resize" -> connection.requireTerminal().resize(size(message, "cols", MAX_COLUMNS),
                        size(message, "rows", MAX_ROWS));
                case "close" -> connection.requireTerminal().close();
                case "ping" -> connection.send(Map.of("type", "pong"));
                default -> throw ApiError.badField("unknown_type", "type", "unknown message type '" + ApiError.shown(type)
                        + "' (expected auth, open, input, resize, close or ping)");
            }
        });
    }

    private void handle(Connection connection, Runnable action) {
        try {
            action.run();
        } catch (AlreadyAnswered e) {
            // The error went out already.
        } catch (ApiError e) {
            connection.error(e.code(), e.getMessage(), e.field().orElse(null));
            if (e.status() == 401) {
                connection.sender.close(RunSocket.CLOSE_UNAUTHORIZED, "unauthorized");
            } else if (e.status() == 404 && connection.terminal == null) {
                connection.sender.close(CLOSE_NOT_FOUND, "not found");
            }
        } catch (CloudRunException e) {
            connection.error("terminal_ended", e.getMessage(), null);
        } catch (RuntimeException e) {
            java.util.Optional<ApiError> storage = dev.cloudrun.server.http.StorageFailures.classify(e);
            if (storage.isPresent()) {
                connection.error(storage.get().code(), storage.get().getMessage(), null);
                return;
            }
            LOG.error("unexpected failure handling a terminal message", e);
            connection.error("internal_error", "the server failed; the failure was logged", null);
        }
    }

    private static int size(JsonNode message, String field, int max) {
        JsonNode value = message.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1 || value.asInt() > max) {
            throw ApiError.badField("invalid_request", field, field + " must be a whole number from 1 to " + max);
        }
        return value.asInt();
    }

    private void onClose(WsCloseContext ctx) {
        Connection connection = connections.remove(ctx.sessionId());
        if (connection != null) {
            connection.shutdown();
        }
    }

    private void onError(WsErrorContext ctx) {
        Connection connection = connections.remove(ctx.sessionId());
        if (connection != null) {
            connection.shutdown();
        }
    }

    private Connection connection(WsContext ctx) {
        Connection connection = connections.get(ctx.sessionId());
        if (connection == null) {
            throw new IllegalStateException("no connection state for session " + ctx.sessionId());
        }
        return connection;
    }

    /** The state of one socket. Its messages arrive one at a time; terminal output on other threads. */
    private final class Connection implements TerminalSession.Viewer {
        final SocketSender sender;
        final String address;
        final String projectId;
        volatile Principal principal;
        volatile String token;
        volatile TerminalSession terminal;
        volatile ScheduledFuture<?> pings;
        volatile ScheduledFuture<?> authDeadline;
        private final AtomicBoolean counted = new AtomicBoolean(true);
        private final StringBuilder pendingOutput = new StringBuilder();
        private ScheduledFuture<?> flushTask;
        private boolean ended;
        private long inputWindowStart;
        private long inputInWindow;

        Connection(SocketSender sender, String address, String projectId) {
            this.sender = sender;
            this.address = address;
            this.projectId = projectId;
        }

        void authenticate(String presented) {
            Principal resolved = auth.authenticate(presented).orElse(null);
            if (resolved == null) {
                error("unauthorized", "the token is invalid, expired or revoked", "token");
                sender.close(RunSocket.CLOSE_UNAUTHORIZED, "unauthorized");
                throw new AlreadyAnswered();
            }
            principal = resolved;
            token = presented;
            uncount();
            if (authDeadline != null) {
                authDeadline.cancel(false);
            }
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("type", "authenticated");
            message.put("userId", resolved.userId());
            message.put("guest", resolved.guest());
            send(message);
            // Someone else's project answers as a missing one, at once.
            projects.get(resolved, projectId);
        }

        void authTimedOut() {
            if (principal == null && !ended) {
                error("unauthorized", "no token was sent within " + authTimeout.toSeconds() + " s", "token");
                sender.close(RunSocket.CLOSE_UNAUTHORIZED, "authentication timed out");
            }
        }

        void uncount() {
            if (counted.compareAndSet(true, false)) {
                unauthenticated.release(address);
            }
        }

        void open(ObjectNode message) {
            if (principal == null) {
                throw ApiError.unauthorized();
            }
            // The token may have been revoked or its user deleted since the socket authenticated.
            Principal user = auth.authenticate(token).orElseThrow(ApiError::unauthorized);
            principal = user;
            if (terminal != null) {
                throw ApiError.of(409, "terminal_open", "this socket has a terminal already; open another socket for another");
            }
            int columns = size(message, "cols", MAX_COLUMNS);
            int rows = size(message, "rows", MAX_ROWS);
            String terminalId = Json.optionalText(message, "terminalId").orElse(null);
            TerminalSession session = terminalId == null ? workspaces.openTerminal(user, projectId, columns, rows)
                    : workspaces.reattach(user, projectId, terminalId);
            terminal = session;
            Map<String, Object> opened = new LinkedHashMap<>();
            opened.put("type", "opened");
            opened.put("terminalId", session.id());
            opened.put("reattached", terminalId != null);
            send(opened);
            session.attach(this);
            if (terminalId != null && session.running()) {
                session.resize(columns, rows);
            }
        }

        void input(String data) {
            TerminalSession session = requireTerminal();
            byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
            long now = System.nanoTime();
            if (now - inputWindowStart >= TimeUnit.SECONDS.toNanos(1)) {
                inputWindowStart = now;
                inputInWindow = 0;
            }
            if (inputInWindow + bytes.length > MAX_INPUT_BYTES_PER_SECOND) {
                throw ApiError.of(429, "input_rate", "input is limited to " + MAX_INPUT_BYTES_PER_SECOND
                        + " bytes per second; this message was dropped");
            }
            inputInWindow += bytes.length;
            session.write(bytes);
        }

        TerminalSession requireTerminal() {
            if (principal == null) {
                throw ApiError.unauthorized();
            }
            TerminalSession session = terminal;
            if (session == null) {
                throw ApiError.of(409, "no_terminal", "send 'open' first");
            }
            return session;
        }

        // ---- the viewer side, called under the terminal's lock ----

        @Override
        public synchronized void output(String text) {
            if (ended) {
                return;
            }
            pendingOutput.append(text);
            if (pendingOutput.length() >= OUTPUT_BATCH_CHARS) {
                flush();
            } else if (flushTask == null) {
                flushTask = scheduler.schedule(this::flushLater, OUTPUT_BATCH.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        private synchronized void flushLater() {
            flushTask = null;
            flush();
        }

        private void flush() {
            if (flushTask != null) {
                flushTask.cancel(false);
                flushTask = null;
            }
            if (pendingOutput.length() == 0 || ended) {
                return;
            }
            if (sender.queuedChars() > MAX_QUEUED_CHARS) {
                // The client does not keep up: drop the socket, keep the terminal (it can re-attach).
                ended = true;
                pendingOutput.setLength(0);
                sender.drop();
                return;
            }
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("type", "output");
            output.put("data", pendingOutput.toString());
            pendingOutput.setLength(0);
            send(output);
        }

        @Override
        public synchronized void exited(int status) {
            flush();
            if (ended) {
                return;
            }
            ended = true;
            Map<String, Object> exit = new LinkedHashMap<>();
            exit.put("type", "exit");
            exit.put("status", status);
            send(exit);
            sender.close(1000, "the shell ended");
        }

        @Override
        public synchronized void filesChanged(List<String> paths, Map<String, String> skipped) {
            if (ended) {
                return;
            }
            flush();
            Map<String, Object> changed = new LinkedHashMap<>();
            changed.put("type", "files_changed");
            changed.put("paths", paths);
            if (!skipped.isEmpty()) {
                changed.put("skipped", skipped);
            }
            send(changed);
        }

        @Override
        public synchronized void replaced() {
            ended = true;
            pendingOutput.setLength(0);
            error("reattached", "another connection re-attached to this terminal", null);
            sender.close(CLOSE_REPLACED, "re-attached elsewhere");
        }

        void error(String code, String message, String field) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("type", "error");
            error.put("code", code);
            error.put("message", message);
            if (field != null) {
                error.put("field", field);
            }
            send(error);
        }

        void send(Map<String, ?> message) {
            sender.send(Json.write(message));
        }

        void shutdown() {
            synchronized (this) {
                ended = true;
                if (flushTask != null) {
                    flushTask.cancel(false);
                }
            }
            uncount();
            if (pings != null) {
                pings.cancel(false);
            }
            if (authDeadline != null) {
                authDeadline.cancel(false);
            }
            TerminalSession session = terminal;
            if (session != null && session.detach(this)) {
                workspaces.detached(session);
            }
        }
    }

    /** Thrown after an error was already sent, to stop handling the message. */
    private static final class AlreadyAnswered extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AlreadyAnswered() {
            super(null, null, false, false);
        }
    }
}
