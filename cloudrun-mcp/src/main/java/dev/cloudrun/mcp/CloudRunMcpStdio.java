package dev.cloudrun.mcp;

import dev.cloudrun.CodeRunner;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * Serves {@link CloudRunMcp} over stdio, as desktop agent clients start an MCP server: JSON-RPC
 * lines in on stdin, out on stdout, nothing else on stdout (logs go to stderr). One client, one
 * connection; when the client closes stdin, its sessions close and {@link #serve} returns.
 */
public final class CloudRunMcpStdio {
    private CloudRunMcpStdio() { }

    /**
     * Serves until {@code in} ends.
     *
     * @param runner runs the code (the caller closes it)
     * @param policy what agents may ask for
     * @param in the client's messages
     * @param out where the answers go; only JSON-RPC is written to it
     * @throws IOException if the input cannot be read
     */
    public static void serve(CodeRunner runner, McpPolicy policy, InputStream in, OutputStream out) throws IOException {
        RunCancellations cancellations = new RunCancellations();
        StdioCancellationFilter.Filtered filtered = StdioCancellationFilter.filter(in, "stdio", cancellations);
        AnswerCountingOutput answers = new AnswerCountingOutput(out);
        StdioServerTransportProvider transport = new StdioServerTransportProvider(
                new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper()), filtered.input(), answers);
        try (CloudRunMcp mcp = CloudRunMcp.create(runner, policy, exchange -> exchange.sessionId(), cancellations)) {
            McpSyncServer server = mcp.configure(McpServer.sync(transport))
                    .requestTimeout(Duration.ofMinutes(10))
                    .build();
            try {
                filtered.ended().join();
                // A client may send its requests and close stdin at once: answer them all before going.
                long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
                while (answers.answers() < filtered.requests().get() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                filtered.endInput();
                server.closeGracefully();
            }
        }
    }
}
