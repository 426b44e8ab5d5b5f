package dev.cloudrun.server.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.mcp.RunCancellations;
import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.ErrorBody;
import dev.cloudrun.server.http.Json;
import dev.cloudrun.server.http.RequestGuards;
import dev.cloudrun.server.keys.ApiKey;
import dev.cloudrun.server.keys.ApiKeyScope;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.runs.RunQuota;
import io.javalin.http.ContentTooLargeResponse;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What every request to {@code /mcp} passes before the MCP SDK's servlet reads a byte of it, in
 * this order: an {@code Origin} the server does not allow gets 403 (DNS rebinding); the per-address
 * request rate (429); {@code Authorization: Bearer} must be a live API key (401) with scope
 * {@code run} (403); an {@code Mcp-Session-Id} must be one this key's user opened (404); the body is
 * read up to {@link #maxBodyBytes} (413 beyond, a declared length refused unread); a
 * {@code tools/call} that starts a run takes a slot of the caller's run quota, as
 * {@code POST /api/runs} does (429), held until its answer is out. Then it tags each
 * {@code tools/call} with its session and id and answers {@code notifications/cancelled} itself,
 * stopping the run ({@link RunCancellations}): the SDK routes neither. A run's {@code tools/call}
 * whose client closes the connection before the answer is cancelled the same way, once the
 * {@link StreamWatch} notices. Refusals are CloudRun's JSON errors,
 * {@code {"error": {"code", "message"}}}.
 */
final class McpGate implements Filter {
    /** The request attribute holding the authenticated user's id, for the SDK's context extractor. */
    static final String USER_ATTRIBUTE = "dev.cloudrun.server.mcp.userId";
    private static final String SESSION_HEADER = "Mcp-Session-Id";
    /** The tools that start a run, and so count against the run quota. */
    private static final Set<String> RUN_TOOLS = Set.of("run_code", "run_in_session", "install_packages");
    private static final int MAX_KNOWN_SESSIONS = 100_000;

    private final ApiKeyService keys;
    private final RunQuota quota;
    private final RequestGuards guards;
    private final ClientAddress clients;
    private final RunCancellations cancellations;
    private final StreamWatch streams;
    private final long maxBodyBytes;
    /** MCP session id to the user who opened it; oldest forgotten first past {@value #MAX_KNOWN_SESSIONS}. */
    private final Map<String, String> owners = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_KNOWN_SESSIONS;
        }
    };

    McpGate(ApiKeyService keys, RunQuota quota, RequestGuards guards, ClientAddress clients,
            RunCancellations cancellations, StreamWatch streams, long maxBodyBytes) {
        this.streams = streams;
        this.keys = keys;
        this.quota = quota;
        this.guards = guards;
        this.clients = clients;
        this.cancellations = cancellations;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public void doFilter(ServletRequest servletRequest, ServletResponse servletResponse, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) servletRequest;
        HttpServletResponse response = (HttpServletResponse) servletResponse;
        RunQuota.Permit permit = null;
        String runTag = null;
        GuardedResponse guarded = null;
        try {
            String origin = request.getHeader("Origin");
            if (origin != null && !guards.origins().allows(origin, request.getHeader("Host"))) {
                throw ApiError.of(403, "origin_not_allowed", "requests from origin " + ApiError.shown(origin)
                        + " are not allowed (see CLOUDRUN_CORS_ORIGINS)");
            }
            String address = clients.of(request.getRemoteAddr(), request.getHeader("X-Forwarded-For"));
            guards.checkRate(address);
            ApiKey key = authenticate(request.getHeader("Authorization"));
            String session = request.getHeader(SESSION_HEADER);
            if (session != null && !key.userId().equals(ownerOf(session))) {
                throw ApiError.of(404, "session_not_found", "MCP session " + ApiError.shown(session)
                        + " not found for this API key's user: initialize a new one");
            }
            request.setAttribute(USER_ATTRIBUTE, key.userId());
            if (!"POST".equals(request.getMethod())) {
                chain.doFilter(request, new GuardedResponse(response, key.userId(), () -> { }, null));
                if ("DELETE".equals(request.getMethod()) && session != null && response.getStatus() == 200) {
                    forget(session);
                }
                return;
            }
            byte[] body = readBody(request);
            JsonNode message = parse(body);
            if (message != null && message.isArray()) {
                throw ApiError.badField("invalid_field", "body", "JSON-RPC batches are not supported: send one message"
                        + " per request");
            }
            if (message instanceof ObjectNode object) {
                String method = object.path("method").asText("");
                if (method.equals("notifications/cancelled")) {
                    JsonNode id = object.path("params").path("requestId");
                    if (session != null && !id.isMissingNode() && !id.isNull()) {
                        cancellations.cancel(session + "#" + id.asText());
                    }
                    response.setStatus(202);
                    return;
                }
                if (method.equals("tools/call") && object.has("id") && session != null
                        && object.path("params") instanceof ObjectNode params) {
                    String tag = session + "#" + object.get("id").asText();
                    if (RUN_TOOLS.contains(params.path("name").asText(""))) {
                        permit = quota.acquire(new Principal(key.userId(), null, false), address);
                        runTag = tag;
                    }
                    JsonNode meta = params.path("_meta");
                    ObjectNode tagged = meta instanceof ObjectNode existing ? existing : params.putObject("_meta");
                    tagged.put(RunCancellations.REQUEST_ID_META, tag);
                    body = object.toString().getBytes(StandardCharsets.UTF_8);
                }
            }
            // The SDK answers a tools/call on this thread: when the chain returns, the run is over. The slot is
            // given back as the answer goes out, so that a client's next call never meets its own finished run.
            RunQuota.Permit held = permit;
            String cancelTag = runTag;
            guarded = new GuardedResponse(response, key.userId(), () -> {
                if (held != null) {
                    held.release();
                }
            }, cancelTag == null ? null : () -> cancellations.cancel(cancelTag));
            chain.doFilter(new ReadBody(request, body), guarded);
        } catch (ApiError e) {
            refuse(response, e);
        } finally {
            if (guarded != null) {
                guarded.stopWatching();
            }
            if (permit != null) {
                permit.release();
            }
        }
    }

    private ApiKey authenticate(String authorization) {
        String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).strip() : null;
        if (token == null || token.isEmpty()) {
            throw ApiError.of(401, "unauthorized", "an API key is required (Authorization: Bearer cr_...); make one with"
                    + " scope run under API keys in the IDE");
        }
        Optional<ApiKey> key = ApiKeyService.looksLikeKey(token) ? keys.authenticate(token) : Optional.empty();
        if (key.isEmpty()) {
            throw ApiError.of(401, "unauthorized", "the API key is not valid (unknown, revoked or mistyped); /mcp takes"
                    + " API keys (cr_...), not session tokens");
        }
        if (!key.get().allows(ApiKeyScope.RUN)) {
            throw ApiError.of(403, "scope_missing", "this API key lacks the scope run, which /mcp needs");
        }
        return key.get();
    }

    private byte[] readBody(HttpServletRequest request) throws IOException {
        long declared = request.getContentLengthLong();
        if (declared > maxBodyBytes) {
            throw tooLarge();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(declared > 0 ? (int) declared : 1024);
        byte[] buffer = new byte[8192];
        try (InputStream in = request.getInputStream()) {
            int read;
            while ((read = in.read(buffer, 0, (int) Math.min(buffer.length, maxBodyBytes - body.size() + 1))) > 0) {
                body.write(buffer, 0, read);
                if (body.size() > maxBodyBytes) {
                    throw tooLarge();
                }
            }
        } catch (ContentTooLargeResponse e) {
            // The edge filter's count of a body without a declared length, at the same limit.
            throw tooLarge();
        }
        return body.toByteArray();
    }

    private ApiError tooLarge() {
        return ApiError.of(413, "payload_too_large", "the request body is larger than " + maxBodyBytes
                + " bytes (the MCP tools' caps on sources and files, see CLOUDRUN_MCP_MAX_FILE_BYTES)");
    }

    private static JsonNode parse(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return null; // The SDK answers malformed JSON-RPC itself.
        }
    }

    private synchronized String ownerOf(String session) {
        return owners.get(session);
    }

    private synchronized void own(String session, String userId) {
        owners.put(session, userId);
    }

    private synchronized void forget(String session) {
        owners.remove(session);
    }

    private static void refuse(HttpServletResponse response, ApiError error) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        byte[] body = Json.write(ErrorBody.of(error.code(), error.getMessage(), error.field().orElse(null)))
                .getBytes(StandardCharsets.UTF_8);
        response.reset();
        response.setStatus(error.status());
        error.retryAfter().ifPresent(wait -> response.setHeader("Retry-After",
                Long.toString(Math.max(1, (wait.toMillis() + 999) / 1000))));
        if (error.status() == 413) {
            response.setHeader("Connection", "close");
        }
        response.setContentType("application/json");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /**
     * Records who opened a session when the SDK names it, and sees the JSON-RPC answer go out, both before the
     * client can read them; for a run's call, has the {@link StreamWatch} watch its event stream.
     */
    private final class GuardedResponse extends HttpServletResponseWrapper {
        private final String userId;
        private final Runnable onAnswer;
        private final Runnable onGone;
        private EventStreamWriter writer;
        private StreamWatch.Watched watched;
        private boolean done;

        /**
         * @param onAnswer called as the JSON-RPC answer is written
         * @param onGone called if the client closes the connection before the answer, or null not to watch
         */
        GuardedResponse(HttpServletResponse response, String userId, Runnable onAnswer, Runnable onGone) {
            super(response);
            this.userId = userId;
            this.onAnswer = onAnswer;
            this.onGone = onGone;
        }

        @Override
        public synchronized PrintWriter getWriter() throws IOException {
            if (writer == null) {
                writer = new EventStreamWriter(super.getWriter(), onAnswer, () -> {
                    String type = getContentType();
                    return type != null && type.startsWith("text/event-stream");
                });
                if (onGone != null && !done) {
                    watched = streams.watch(writer, onGone);
                }
            }
            return writer;
        }

        /** The call is over (answered, or failed): no more keep-alives. */
        synchronized void stopWatching() {
            done = true;
            if (watched != null) {
                watched.close();
            }
        }

        @Override
        public void setHeader(String name, String value) {
            if (SESSION_HEADER.equalsIgnoreCase(name) && value != null) {
                own(value, userId);
            }
            super.setHeader(name, value);
        }

        @Override
        public void addHeader(String name, String value) {
            if (SESSION_HEADER.equalsIgnoreCase(name) && value != null) {
                own(value, userId);
            }
            super.addHeader(name, value);
        }
    }

    /** The request with its body already read (and possibly tagged). */
    private static final class ReadBody extends HttpServletRequestWrapper {
        private final byte[] body;

        ReadBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] buffer, int offset, int length) {
                    return in.read(buffer, offset, length);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new IllegalStateException("the body is already read");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
        }
    }
}
