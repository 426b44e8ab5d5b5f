package dev.cloudrun.server.compat.piston;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.StreamKind;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.WebSocketSettings;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.runs.RunService;
import dev.cloudrun.server.runs.SocketSender;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsConnectContext;
import io.javalin.websocket.WsContext;
import io.javalin.websocket.WsMessageContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Piston's interactive endpoint {@code /api/v2/connect}: one job per socket, started by {@code init},
 * fed by {@code data} (stdin) and {@code signal}; the server answers {@code runtime}, {@code stage},
 * {@code data}, {@code exit} and {@code error}, and closes with Piston's codes (4000 already initialized,
 * 4001 initialization timeout, 4002 notified error, 4003 not yet initialized, 4004 can only write to
 * stdin, 4005 invalid signal, 4999 job completed). Bounded as {@code /ws/run} is: message size, a
 * deadline for {@code init}, a few sockets per address waiting for theirs.
 */
final class PistonSocket {
    static final String PRINCIPAL_ATTRIBUTE = "cloudrun.piston.principal";
    static final int CLOSE_ALREADY_INITIALIZED = 4000;
    static final int CLOSE_INIT_TIMEOUT = 4001;
    static final int CLOSE_NOTIFIED_ERROR = 4002;
    static final int CLOSE_NOT_INITIALIZED = 4003;
    static final int CLOSE_ONLY_STDIN = 4004;
    static final int CLOSE_INVALID_SIGNAL = 4005;
    static final int CLOSE_JOB_COMPLETED = 4999;
    static final int CLOSE_TOO_BIG = 1009;

    private static final Logger LOG = LoggerFactory.getLogger(PistonSocket.class);

    private final PistonApi api;
    private final ExecutorService sendExecutor;
    private final ScheduledExecutorService scheduler;
    private final WebSocketSettings settings;
    private final ClientAddress clients;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> waitingForInit = new ConcurrentHashMap<>();

    PistonSocket(PistonApi api, ExecutorService sendExecutor, ScheduledExecutorService scheduler, WebSocketSettings settings,
                 ClientAddress clients) {
        this.api = api;
        this.sendExecutor = sendExecutor;
        this.scheduler = scheduler;
        this.settings = settings;
        this.clients = clients;
    }

    void configure(WsConfig ws) {
        ws.onConnect(this::onConnect);
        ws.onMessage(this::onMessage);
        ws.onBinaryMessage(ctx -> connection(ctx).fail("send JSON text messages, not binary"));
        ws.onClose(ctx -> shutdown(ctx));
        ws.onError(ctx -> shutdown(ctx));
    }

    private void onConnect(WsConnectContext ctx) {
        String peer = ctx.session.getRemoteAddress() instanceof InetSocketAddress socket
                ? socket.getAddress().getHostAddress() : String.valueOf(ctx.session.getRemoteAddress());
        Connection connection = new Connection(new SocketSender(ctx.session, sendExecutor),
                clients.of(peer, ctx.header("X-Forwarded-For")), ctx.attribute(PRINCIPAL_ATTRIBUTE));
        connections.put(ctx.sessionId(), connection);
        if (waitingForInit.computeIfAbsent(connection.address, key -> new AtomicInteger())
                .incrementAndGet() > settings.unauthenticatedPerAddress()) {
            connection.fail("this address has too many sockets waiting for init");
            return;
        }
        long pingMs = settings.pingInterval().toMillis();
        connection.pings = scheduler.scheduleAtFixedRate(connection.sender::ping, pingMs, pingMs, TimeUnit.MILLISECONDS);
        connection.initDeadline = scheduler.schedule(connection::initTimedOut, settings.authTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void onMessage(WsMessageContext ctx) {
        Connection connection = connection(ctx);
        String text = ctx.message();
        int max = settings.maxMessageBytes();
        if (text.length() > max || text.getBytes(StandardCharsets.UTF_8).length > max) {
            connection.send(Map.of("type", "error", "message", "messages may be at most " + max + " bytes"));
            connection.sender.close(CLOSE_TOO_BIG, "Message Too Big");
            return;
        }
        try {
            JsonNode message;
            try {
                message = Json.MAPPER.readTree(text);
            } catch (JsonProcessingException e) {
                throw PistonError.badRequest("the message is not valid JSON");
            }
            switch (message.path("type").asText("")) {
                case "init" -> connection.init(message);
                case "data" -> connection.data(message);
                case "signal" -> connection.signal(message);
                default -> {
                    // Piston ignores messages of other types.
                }
            }
        } catch (PistonError error) {
            connection.fail(error.getMessage());
        } catch (RuntimeException e) {
            LOG.error("unexpected failure handling a Piston WebSocket message", e);
            connection.fail("the server failed; the failure was logged");
        }
    }

    private void shutdown(WsContext ctx) {
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

    /** One socket. Its messages arrive one at a time; the run's events come on other threads. */
    private final class Connection {
        final SocketSender sender;
        final String address;
        final Principal authenticated;
        volatile ScheduledFuture<?> pings;
        volatile ScheduledFuture<?> initDeadline;
        volatile boolean initialized;
        volatile RunService.StartedRun run;
        volatile boolean closed;
        private final AtomicBoolean waiting = new AtomicBoolean(true);

        Connection(SocketSender sender, String address, Principal authenticated) {
            this.sender = sender;
            this.address = address;
            this.authenticated = authenticated;
        }

        void initTimedOut() {
            if (!initialized && !closed) {
                sender.close(CLOSE_INIT_TIMEOUT, "Initialization Timeout");
            }
        }

        void init(JsonNode message) {
            if (initialized) {
                sender.close(CLOSE_ALREADY_INITIALIZED, "Already Initialized");
                return;
            }
            initialized = true;
            stopWaiting();
            PistonJob job = PistonJob.parse(message, api.runtimes(), api.ceiling(), true);
            Principal caller = PistonApi.translated(() -> authenticated != null ? authenticated : api.callers().anonymous(address));
            boolean compiled = job.runtime().cloudRunLanguage().isCompiled();
            Gate gate = new Gate();
            JobListener listener = new JobListener(compiled, gate);
            RunService.StartedRun started = PistonApi.translated(() -> api.runs().start(caller, address, job.spec(), "piston",
                    listener, outcome -> {
                        run = null;
                        listener.finished(outcome.result());
                    }));
            if (!started.execution().result().isDone()) {
                run = started;
            }
            Map<String, Object> runtime = new LinkedHashMap<>();
            runtime.put("type", "runtime");
            runtime.put("language", job.runtime().language());
            runtime.put("version", job.runtime().version());
            gate.open(runtime);
            if (closed) {
                started.execution().cancel();
            }
        }

        /** Turns CloudRun's phases and output into Piston's {@code stage}, {@code data} and {@code exit}. */
        private final class JobListener implements RunListener {
            private final boolean compiled;
            private final Gate gate;
            private boolean compileAnnounced;
            private boolean runAnnounced;

            JobListener(boolean compiled, Gate gate) {
                this.compiled = compiled;
                this.gate = gate;
            }

            @Override
            public void onPhase(Phase phase) {
                if (phase == Phase.COMPILING && compiled) {
                    announceCompile();
                } else if (phase == Phase.RUNNING) {
                    synchronized (this) {
                        if (compiled) {
                            announceCompile();
                            gate.emit(PistonStages.compileSuccess().exitMessage("compile"));
                        }
                        runAnnounced = true;
                    }
                    gate.emit(stage("run"));
                }
            }

            private synchronized void announceCompile() {
                if (!compileAnnounced) {
                    compileAnnounced = true;
                    gate.emit(stage("compile"));
                }
            }

            @Override
            public void onText(StreamKind stream, String text) {
                String name = switch (stream) {
                    case STDOUT -> "stdout";
                    case STDERR, COMPILER -> "stderr";
                    case INSTALL -> null;
                };
                if (name != null) {
                    Map<String, Object> data = new LinkedHashMap<>();
                    data.put("type", "data");
                    data.put("stream", name);
                    data.put("data", text);
                    gate.emit(data);
                }
            }

            void finished(RunResult result) {
                boolean reachedRun;
                synchronized (this) {
                    reachedRun = runAnnounced;
                }
                if (PistonStages.endedInCompile(result, compiled, reachedRun)) {
                    announceCompile();
                    gate.emit(PistonStages.compileFailure(result).exitMessage("compile"));
                } else {
                    gate.emit(PistonStages.ending(result).exitMessage("run"));
                }
                gate.close();
            }
        }

        void data(JsonNode message) {
            if (!initialized) {
                sender.close(CLOSE_NOT_INITIALIZED, "Not yet initialized");
                return;
            }
            if (!"stdin".equals(message.path("stream").asText(null))) {
                sender.close(CLOSE_ONLY_STDIN, "Can only write to stdin");
                return;
            }
            JsonNode data = message.path("data");
            if (!data.isTextual()) {
                throw PistonError.badRequest("data must be a string");
            }
            RunService.StartedRun current = run;
            if (current != null) {
                try {
                    current.execution().writeStdin(data.asText());
                } catch (IllegalStateException e) {
                    // The program has ended or closed its input; Piston drops such data too.
                }
            }
        }

        void signal(JsonNode message) {
            if (!initialized) {
                sender.close(CLOSE_NOT_INITIALIZED, "Not yet initialized");
                return;
            }
            if (!PistonSignals.isValid(message.path("signal").asText(null))) {
                sender.close(CLOSE_INVALID_SIGNAL, "Invalid signal");
                return;
            }
            // A sandboxed run can only be stopped, not sent a particular signal: every signal stops it.
            RunService.StartedRun current = run;
            if (current != null) {
                current.execution().cancel();
            }
        }

        /** Piston's fatal error: an {@code error} message, then close 4002. */
        void fail(String message) {
            send(Map.of("type", "error", "message", message));
            sender.close(CLOSE_NOTIFIED_ERROR, "Notified Error");
        }

        void send(Map<String, ?> message) {
            sender.send(Json.write(message));
        }

        private Map<String, Object> stage(String name) {
            Map<String, Object> stage = new LinkedHashMap<>();
            stage.put("type", "stage");
            stage.put("stage", name);
            return stage;
        }

        private void stopWaiting() {
            if (waiting.compareAndSet(true, false)) {
                AtomicInteger count = waitingForInit.get(address);
                if (count != null && count.decrementAndGet() <= 0) {
                    waitingForInit.remove(address, count);
                }
            }
            if (initDeadline != null) {
                initDeadline.cancel(false);
            }
        }

        void shutdown() {
            closed = true;
            stopWaiting();
            if (pings != null) {
                pings.cancel(false);
            }
            RunService.StartedRun current = run;
            if (current != null) {
                current.execution().cancel();
            }
        }

        /** Holds a run's events until {@code runtime} has gone out, then sends them in order; closes 4999 at the end. */
        private final class Gate {
            private List<Map<String, Object>> pending = new ArrayList<>();
            private boolean ended;

            synchronized void emit(Map<String, Object> event) {
                if (pending != null) {
                    pending.add(event);
                } else {
                    send(event);
                }
            }

            synchronized void open(Map<String, Object> runtime) {
                send(runtime);
                pending.forEach(Connection.this::send);
                pending = null;
                if (ended) {
                    sender.close(CLOSE_JOB_COMPLETED, "Job Completed");
                }
            }

            synchronized void close() {
                ended = true;
                if (pending == null) {
                    sender.close(CLOSE_JOB_COMPLETED, "Job Completed");
                }
            }
        }
    }
}
