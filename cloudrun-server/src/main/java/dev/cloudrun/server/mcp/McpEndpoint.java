package dev.cloudrun.server.mcp;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.mcp.CloudRunMcp;
import dev.cloudrun.mcp.McpPolicy;
import dev.cloudrun.mcp.RunCancellations;
import dev.cloudrun.server.config.McpSettings;
import dev.cloudrun.server.db.RunRepository;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.http.RequestGuards;
import dev.cloudrun.server.keys.ApiKeyService;
import dev.cloudrun.server.runs.RunQuota;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.DispatcherType;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CloudRun's MCP tools ({@link CloudRunMcp}) on the IDE server at {@value #PATH}, over the MCP
 * SDK's streamable HTTP transport, for agents holding an API key with scope {@code run}. The
 * {@link McpGate} in front of the SDK's servlet authenticates, rate-limits and bounds every request
 * before the SDK reads it; sessions of {@code create_session} belong to the key's user, whichever
 * of their keys or MCP connections asks. Its runs enter the user's run history ({@link McpRunHistory}); a
 * run whose client closes the connection before the answer is cancelled ({@link StreamWatch}).
 * {@link #close()} closes the MCP sessions and the agents' sandboxes.
 */
public final class McpEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(McpEndpoint.class);
    /** Where the endpoint listens. */
    public static final String PATH = "/mcp";
    private static final String USER_KEY = "dev.cloudrun.server.mcp.userId";
    /**
     * How often a run's event stream gets an SSE comment, so that a client gone is noticed (and its run cancelled)
     * within two of these.
     */
    static final Duration KEEP_ALIVE_INTERVAL = Duration.ofSeconds(2);

    private final CloudRunMcp mcp;
    private final HttpServletStreamableServerTransportProvider transport;
    private final McpSyncServer server;
    private final McpGate gate;
    private final StreamWatch streams;

    private McpEndpoint(CodeRunner runner, McpPolicy policy, ApiKeyService keys, RunQuota quota, RequestGuards guards,
                        ClientAddress clients, RunRepository history, Clock clock) {
        DaemonSingleSchedulers.install();
        long maxBody = maxRequestBytes(policy);
        RunCancellations cancellations = new RunCancellations();
        this.streams = new StreamWatch(KEEP_ALIVE_INTERVAL);
        this.gate = new McpGate(keys, quota, guards, clients, cancellations, streams, maxBody);
        this.transport = HttpServletStreamableServerTransportProvider.builder()
                .jsonMapper(new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper()))
                .mcpEndpoint(PATH)
                .maxRequestSize((int) maxBody)
                .keepAliveInterval(Duration.ofSeconds(20))
                .contextExtractor(request -> McpTransportContext.create(
                        Map.of(USER_KEY, String.valueOf(request.getAttribute(McpGate.USER_ATTRIBUTE)))))
                .build();
        McpRunHistory journal = new McpRunHistory(history, clock,
                exchange -> String.valueOf(exchange.transportContext().get(USER_KEY)));
        this.mcp = CloudRunMcp.create(runner, policy, exchange -> "user:" + exchange.transportContext().get(USER_KEY),
                cancellations, journal);
        // The servlet blocks its request thread until the answer is out: a tool runs on that thread rather than
        // being handed to Reactor's boundedElastic pool and back (a cancellation arrives as another request).
        this.server = mcp.configure(McpServer.sync(transport)).requestTimeout(Duration.ofMinutes(10))
                .immediateExecution(true).build();
    }

    /**
     * @param runner runs the code (not closed here)
     * @param settings the operator's MCP settings
     * @param keys authenticates API keys
     * @param quota the run quota that {@code POST /api/runs} takes from
     * @param guards the per-address request rate and the allowed origins
     * @param clients tells the client's address behind trusted proxies
     * @param history the run history, where the agents' runs are recorded with {@code via} = {@code mcp}
     * @param clock the time source
     * @return the endpoint, not yet mounted
     */
    public static McpEndpoint create(CodeRunner runner, McpSettings settings, ApiKeyService keys, RunQuota quota,
                                     RequestGuards guards, ClientAddress clients, RunRepository history, Clock clock) {
        return new McpEndpoint(runner, policy(settings), keys, quota, guards, clients, history, clock);
    }

    /**
     * @param settings the operator's MCP settings
     * @return what agents may ask for
     */
    public static McpPolicy policy(McpSettings settings) {
        return McpPolicy.defaults()
                .withMaxSessions(settings.sessionsPerUser(), Math.max(settings.sessionsPerUser(), settings.maxSessions()))
                .withSessionIdleTimeout(settings.sessionIdleTimeout())
                .withNetworkAllowed(settings.networkAllowed())
                .withMaxSourceBytes(settings.maxSourceBytes())
                .withMaxFileBytes(settings.maxFileBytes());
    }

    /**
     * The largest request body: a call with the largest source and the most files of the largest size, files in
     * base64 (4/3 of their size), the source allowed twice its size for JSON escapes, and 64 KiB for the rest.
     *
     * @param policy what agents may ask for
     * @return the limit in bytes
     */
    public static long maxRequestBytes(McpPolicy policy) {
        long files = (long) policy.maxFiles() * ((long) policy.maxFileBytes() * 4 / 3 + 1024);
        return Math.min(Integer.MAX_VALUE - 8, 2L * policy.maxSourceBytes() + files + 64 * 1024);
    }

    /**
     * Adds the gate and the SDK's servlet at {@value #PATH}.
     *
     * @param handler Jetty's servlet context (Javalin's {@code config.jetty.modifyServletContextHandler})
     */
    public void mount(ServletContextHandler handler) {
        handler.addFilter(new FilterHolder(gate), PATH, EnumSet.of(DispatcherType.REQUEST));
        ServletHolder servlet = new ServletHolder("mcp", transport);
        servlet.setAsyncSupported(true);
        handler.addServlet(servlet, PATH);
    }

    /** @return how many agent sessions are open */
    public int openSessions() {
        return mcp.openSessions();
    }

    /** Closes the MCP sessions, then the agents' sandboxes. */
    @Override
    public void close() {
        streams.close();
        try {
            server.closeGracefully();
        } catch (RuntimeException e) {
            LOG.warn("closing the MCP server: {}", e.toString());
        }
        mcp.close();
    }
}
