package dev.cloudrun.server.runs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import dev.cloudrun.server.auth.AuthService;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.http.UnauthenticatedSockets;
import dev.cloudrun.server.http.UpgradeContexts;
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
 * The {@code /ws/run} endpoint: one run at a time per socket, several in succession, with the JSON
 * protocol of {@code docs/protocol.md}. A socket that closes, fails or goes silent cancels its run.
 * A socket must authenticate within a deadline (else 4401), one address may hold only a few
 * sockets that have not authenticated yet (more are closed with 4429), and every {@code start}
 * checks the token again, so a revoked token or a deleted user gets 4401.
 */
public final class RunSocket {
    /** Close code for a missing, forged or expired token. */
    public static final int CLOSE_UNAUTHORIZED = 4401;
    /** Close code for a message larger than allowed (RFC 6455 "message too big"). */
    public static final int CLOSE_TOO_BIG = 1009;
    /** Close code for an address with too many sockets that have not authenticated. */
    public static final int CLOSE_TOO_MANY = 4429;

    private static final Logger LOG = LoggerFactory.getLogger(RunSocket.class);
    private static final java.util.Set<String> OUTPUT_TYPES = java.util.Set.of("stdout", "stderr", "compiler", "install");
    /** How long output is held to merge small writes. */
    private static final Duration OUTPUT_BATCH = Duration.ofMillis(15);
    /** How much output is merged at most into one message. */
    private static final int OUTPUT_BATCH_CHARS = 32 * 1024;

    private final RunService runs;
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
     * @param runs starts runs
     * @param auth resolves tokens
     * @param sendExecutor drains the sockets' send queues
     * @param scheduler sends pings
     * @param maxMessageBytes the largest client message accepted
     * @param pingInterval how often to ping
     * @param clients tells the client's address
     * @param authTimeout how long a socket may stay open without authenticating
     * @param unauthenticated counts the sockets of each address that have not authenticated (shared with the
     *     other endpoints)
     */
    public RunSocket(RunService runs, AuthService auth, ExecutorService sendExecutor, ScheduledExecutorService scheduler,
                     int maxMessageBytes, Duration pingInterval, ClientAddress clients, Duration authTimeout,
                     UnauthenticatedSockets unauthenticated) {
        this.clients = clients;
        this.authTimeout = authTimeout;
        this.unauthenticated = unauthenticated;
        this.runs = runs;
        this.auth = auth;
        this.sendExecutor = sendExecutor;
        this.scheduler = scheduler;
        this.maxMessageBytes = maxMessageBytes;
        this.pingInterval = pingInterval;
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

    /** @return how many sockets are open (for tests and health) */
    public int openConnections() {
        return connections.size();
    }

    private void onConnect(WsConnectContext ctx) {
        String peer = ctx.session.getRemoteAddress() instanceof InetSocketAddress socket
                ? socket.getAddress().getHostAddress() : String.valueOf(ctx.session.getRemoteAddress());
        Connection connection = new Connection(new SocketSender(ctx.session, sendExecutor), clients.of(peer,
                ctx.header("X-Forwarded-For")));
        connections.put(ctx.sessionId(), connection);
        String token = ctx.queryParam("token");
        // Nothing below or in later messages reads the handshake again.
        UpgradeContexts.release(ctx);
        if (!unauthenticated.admit(connection.address)) {
            connection.error("too_many_sockets", "this address has too many sockets that have not authenticated", null);
            connection.sender.close(CLOSE_TOO_MANY, "too many unauthenticated sockets");
            return;
        }
        long intervalMs = pingInterval.toMillis();
        connection.pings = scheduler.scheduleAtFixedRate(connection.sender::ping, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
        connection.authDeadline = scheduler.schedule(connection::authTimedOut, authTimeout.toMillis(), TimeUnit.MILLISECONDS);
        if (token != null) {
            try {
                connection.authenticate(token);
            } catch (AlreadyAnswered e) {
                // The error and the close went out already.
            }
        }
    }

    private void onMessage(WsMessageContext ctx) {
        Connection connection = connection(ctx);
        String text = ctx.message();
        if (text.length() > maxMessageBytes || text.getBytes(StandardCharsets.UTF_8).length > maxMessageBytes) {
            connection.error("message_too_big", "messages may be at most " + maxMessageBytes + " bytes", null);
            connection.sender.close(CLOSE_TOO_BIG, "message too big");
            return;
        }
        try {
            ObjectNode message = Json.parseObject(text);
            String type = Json.requiredText(message, "type").toLowerCase(Locale.ROOT);
            switch (type) {
                case "auth":
                    connection.authenticate(Json.requiredText(message, "token"));
                    break;
                case "start":
                    Json.optionalText(message, "token").ifPresent(connection::authenticate);
                    connection.start(message);
                    break;
                case "stdin":
                    connection.stdin(Json.requiredText(message, "data"));
                    break;
                case "stdin_close":
                case "eof":
                    connection.closeStdin();
                    break;
                case "stop":
                    connection.stop();
                    break;
                case "ping":
                    connection.send(Map.of("type", "pong"));
                    break;
                default:
                    connection.error("unknown_type", "unknown message type '" + type
                            + "' (expected auth, start, stdin, stdin_close, stop or ping)", "type");
            }
        } catch (AlreadyAnswered e) {
            // The error went out already.
        } catch (ApiError e) {
            connection.error(e.code(), e.getMessage(), e.field().orElse(null));
            if (e.status() == 401) {
                connection.sender.close(CLOSE_UNAUTHORIZED, "unauthorized");
            }
        } catch (InvalidRequestException e) {
            connection.error("invalid_request", e.getMessage(), e.field());
        } catch (CloudRunException e) {
            connection.error("sandbox_error", e.getMessage(), null);
        } catch (RuntimeException e) {
            java.util.Optional<ApiError> storage = dev.cloudrun.server.http.StorageFailures.classify(e);
            if (storage.isPresent()) {
                LOG.warn("a WebSocket message failed: {}", storage.get().getMessage());
                connection.error(storage.get().code(), storage.get().getMessage(), null);
                return;
            }
            LOG.error("unexpected failure handling a WebSocket message", e);
            connection.error("internal_error", "the server failed; the failure was logged", null);
        }
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

    /** The state of one socket. Messages of one socket arrive one at a time; run callbacks on other threads. */
    private final class Connection {
        final SocketSender sender;
        final String address;
        volatile Principal principal;
        volatile String token;
        volatile RunService.StartedRun current;
        volatile ScheduledFuture<?> pings;
        volatile ScheduledFuture<?> authDeadline;
        volatile boolean closed;
        private final AtomicBoolean counted = new AtomicBoolean(true);

        Connection(SocketSender sender, String address) {
            this.sender = sender;
            this.address = address;
        }

        void authenticate(String presented) {
            Principal resolved = auth.authenticate(presented).orElse(null);
            if (resolved == null) {
                error("unauthorized", "the token is invalid, expired or revoked", "token");
                sender.close(CLOSE_UNAUTHORIZED, "unauthorized");
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
        }

        void authTimedOut() {
            if (principal == null && !closed) {
                error("unauthorized", "no token was sent within " + authTimeout.toSeconds() + " s", "token");
                sender.close(CLOSE_UNAUTHORIZED, "authentication timed out");
            }
        }

        /** No longer counted among the address's unauthenticated sockets (at most once). */
        void uncount() {
            if (counted.compareAndSet(true, false)) {
                unauthenticated.release(address);
            }
        }

        void start(ObjectNode message) {
            if (principal == null) {
                throw ApiError.unauthorized();
            }
            // The token may have been revoked or its user deleted since the socket authenticated.
            Principal user = auth.authenticate(token).orElseThrow(ApiError::unauthorized);
            principal = user;
            if (current != null) {
                throw ApiError.of(409, "run_in_progress", "this socket already has a run going; stop it or wait for 'finished'");
            }
            RunSpec spec = RunSpec.parse(message, true);
            EventGate gate = new EventGate();
            RunListener listener = new RunListener() {
                @Override
                public void onPhase(Phase phase) {
                    if (phase != Phase.FINISHED) {
                        Map<String, Object> event = new LinkedHashMap<>();
                        event.put("type", "phase");
                        event.put("phase", phase.name().toLowerCase(Locale.ROOT));
                        gate.emit(event);
                    }
                }

                @Override
                public void onText(StreamKind stream, String text) {
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("type", stream.name().toLowerCase(Locale.ROOT));
                    event.put("data", text);
                    gate.emit(event);
                }

                @Override
                public void onInstallStarted(java.util.List<String> packages) {
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("type", "install_started");
                    event.put("packages", packages);
                    gate.emit(event);
                }

                @Override
                public void onInstallFinished(java.util.List<String> packages, boolean success, String message) {
                    Map<String, Object> event = new LinkedHashMap<>();
                    event.put("type", "install_finished");
                    event.put("packages", packages);
                    event.put("success", success);
                    event.put("message", message);
                    gate.emit(event);
                }
            };
            // Synchronised with finished(): a run that ends at once must not stay 'current'.
            synchronized (this) {
                RunService.StartedRun started = runs.start(user, address, spec, "websocket", listener, outcome -> finished(gate, outcome));
                if (!started.execution().result().isDone()) {
                    current = started;
                }
                Map<String, Object> accepted = new LinkedHashMap<>();
                accepted.put("type", "accepted");
                accepted.put("language", started.language());
                accepted.put("deadlineMs", runs.deadline().toMillis());
                gate.open(started.execution().id(), accepted);
                if (closed) {
                    started.execution().cancel();
                }
            }
        }

        private void finished(EventGate gate, RunService.Outcome outcome) {
            synchronized (this) {
                current = null;
            }
            java.util.List<String> modules = outcome.missingDependencies();
            java.util.List<String> packages = outcome.result().missingPackages();
            if (!modules.isEmpty() || !packages.isEmpty()) {
                Map<String, Object> missing = new LinkedHashMap<>();
                missing.put("type", "missing_dependency");
                missing.put("language", outcome.result().language());
                missing.put("module", modules.isEmpty() ? packages.get(0) : modules.get(0));
                missing.put("modules", modules);
                missing.put("packages", packages);
                // A run in a terminal workspace cannot auto-install (see RunService): no "Install & Re-run" for it.
                missing.put("canInstall", !packages.isEmpty() && runs.packageInstall() && !outcome.inWorkspace());
                gate.emit(missing);
            }
            Map<String, Object> finished = new LinkedHashMap<>();
            finished.put("type", "finished");
            finished.putAll(RunService.describe(outcome));
            gate.emit(finished);
        }

        /**
         * Orders and batches one run's events. Holds them until 'accepted' (which carries the run id)
         * has been sent, so clients always see 'accepted' first, and every event carries the run id.
         * Output arriving in many small writes is merged for up to {@link #OUTPUT_BATCH} (or
         * {@link #OUTPUT_BATCH_CHARS}), so a chatty program sends a few messages, not thousands; only
         * consecutive chunks of one stream are merged (a chunk of another stream sends what is held
         * first), so the messages keep the order in which the SDK handed over the chunks. Each output
         * message carries {@code seq}, 1, 2, 3... for the run, in that order, so a client can tell a
         * message that overtook another.
         */
        private final class EventGate {
            private java.util.List<Map<String, Object>> pending = new java.util.ArrayList<>();
            private String runId;
            private String bufferedType;
            private final StringBuilder buffered = new StringBuilder();
            private ScheduledFuture<?> flushTask;
            private long outputSeq;

            synchronized void emit(Map<String, Object> event) {
                String type = (String) event.get("type");
                if (OUTPUT_TYPES.contains(type)) {
                    if (!type.equals(bufferedType)) {
                        flushOutput();
                        bufferedType = type;
                    }
                    buffered.append((String) event.get("data"));
                    if (buffered.length() >= OUTPUT_BATCH_CHARS) {
                        flushOutput();
                    } else if (flushTask == null) {
                        flushTask = scheduler.schedule(this::flushLater, OUTPUT_BATCH.toMillis(), TimeUnit.MILLISECONDS);
                    }
                    return;
                }
                flushOutput();
                deliver(event);
            }

            synchronized void open(String id, Map<String, Object> accepted) {
                runId = id;
                sendWithId(accepted);
                java.util.List<Map<String, Object>> held = pending;
                pending = null;
                held.forEach(this::sendWithId);
            }

            private synchronized void flushLater() {
                flushTask = null;
                flushOutput();
            }

            private void flushOutput() {
                if (flushTask != null) {
                    flushTask.cancel(false);
                    flushTask = null;
                }
                if (buffered.length() > 0) {
                    Map<String, Object> output = new LinkedHashMap<>();
                    output.put("type", bufferedType);
                    output.put("seq", ++outputSeq);
                    output.put("data", buffered.toString());
                    buffered.setLength(0);
                    deliver(output);
                }
                bufferedType = null;
            }

            private void deliver(Map<String, Object> event) {
                if (pending != null) {
                    pending.add(event);
                } else {
                    sendWithId(event);
                }
            }

            private void sendWithId(Map<String, Object> event) {
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("type", event.get("type"));
                message.put("runId", runId);
                event.forEach(message::putIfAbsent);
                send(message);
            }
        }

        void stdin(String data) {
            RunService.StartedRun run = requireRun();
            try {
                run.execution().writeStdin(data);
            } catch (IllegalStateException e) {
                throw ApiError.of(409, "stdin_closed", "the run's standard input is closed or not interactive");
            }
        }

        void closeStdin() {
            requireRun().execution().closeStdin();
        }

        void stop() {
            requireRun().execution().cancel();
        }

        private RunService.StartedRun requireRun() {
            if (principal == null) {
                throw ApiError.unauthorized();
            }
            RunService.StartedRun run = current;
            if (run == null) {
                throw ApiError.of(409, "no_active_run", "there is no run going on this socket");
            }
            return run;
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
            RunService.StartedRun run;
            synchronized (this) {
                closed = true;
                run = current;
            }
            uncount();
            if (pings != null) {
                pings.cancel(false);
            }
            if (authDeadline != null) {
                authDeadline.cancel(false);
            }
            if (run != null) {
                run.execution().cancel();
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
