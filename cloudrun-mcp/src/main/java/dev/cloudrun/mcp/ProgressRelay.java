package dev.cloudrun.mcp;

import dev.cloudrun.Phase;
import dev.cloudrun.RunListener;
import dev.cloudrun.StreamKind;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a run's output to the client as MCP progress notifications while it runs, when the call
 * carried a {@code progressToken}: one notification per phase change and per chunk of output, its
 * message the text (prefixed {@code [stderr]} for stderr), its progress a count that only grows.
 * Stops relaying after {@value #MAX_RELAYED_CHARS} characters; the result still has the output.
 */
final class ProgressRelay implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressRelay.class);
    static final int MAX_RELAYED_CHARS = 1 << 20;
    private static final ProgressRelay SILENT = new ProgressRelay(null, null);

    private final McpSyncServerExchange exchange;
    private final Object token;
    private long sent;
    private long relayedChars;

    private ProgressRelay(McpSyncServerExchange exchange, Object token) {
        this.exchange = exchange;
        this.token = token;
    }

    static ProgressRelay of(McpSyncServerExchange exchange, McpSchema.CallToolRequest call) {
        Object token = call.progressToken();
        return token == null ? SILENT : new ProgressRelay(exchange, token);
    }

    @Override
    public void onPhase(Phase phase) {
        send(phase.name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public void onText(StreamKind stream, String text) {
        if (stream == StreamKind.STDOUT || stream == StreamKind.STDERR || stream == StreamKind.COMPILER) {
            if (relayedChars >= MAX_RELAYED_CHARS) {
                return;
            }
            relayedChars += text.length();
            send(stream == StreamKind.STDOUT ? text : "[" + stream.name().toLowerCase(java.util.Locale.ROOT) + "] " + text);
        }
    }

    private void send(String message) {
        if (token == null) {
            return;
        }
        try {
            exchange.progressNotification(new McpSchema.ProgressNotification(token, ++sent, null, message));
        } catch (RuntimeException e) {
            LOG.debug("progress notification not sent: {}", e.toString());
        }
    }
}
