package dev.cloudrun.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpClientTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * {@code cloudrun mcp} started as a child process (the CLI's main, on this test's class path, with the
 * launcher's JVM options) with the MCP Java SDK's own client over its stdio: what an agent client does. Records the progress
 * notifications it gets and the JSON-RPC id of each {@code tools/call}, so a test can cancel one.
 */
final class McpTestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final McpSyncClient client;
    final List<McpSchema.ProgressNotification> progress = new CopyOnWriteArrayList<>();
    final List<String> stderr = new CopyOnWriteArrayList<>();
    private final RecordingTransport transport;

    McpTestServer(String backend, String... options) {
        // With ./cloudrun mcp's JVM options, so that tests and the benchmark meet the JVM agents start.
        List<String> args = new ArrayList<>(ServeJvmOptions.mcpDefaults());
        args.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cloudrun.cli.CloudRunCli", "mcp",
                "--backend", backend));
        args.addAll(List.of(options));
        ServerParameters parameters = ServerParameters.builder(javaExecutable()).args(args).build();
        StdioClientTransport stdio = new StdioClientTransport(parameters, new JacksonMcpJsonMapper(JSON));
        stdio.setStdErrorHandler(stderr::add);
        transport = new RecordingTransport(stdio);
        client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120))
                .initializationTimeout(Duration.ofSeconds(60))
                .progressConsumer(progress::add).build();
        client.initialize();
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Calls a tool with a progress token. */
    McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, String progressToken) {
        return client.callTool(McpSchema.CallToolRequest.builder().name(tool).arguments(arguments)
                .progressToken(progressToken).build());
    }

    McpSchema.CallToolResult call(String tool, Map<String, Object> arguments) {
        return client.callTool(new McpSchema.CallToolRequest(tool, arguments));
    }

    /** @return the structured content of a successful result */
    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(McpSchema.CallToolResult result) {
        if (Boolean.TRUE.equals(result.isError())) {
            throw new AssertionError("tool failed: " + text(result));
        }
        return (Map<String, Object>) result.structuredContent();
    }

    /** @return the text of the result's first content */
    static String text(McpSchema.CallToolResult result) {
        return ((McpSchema.TextContent) result.content().get(0)).text();
    }

    /** @return the JSON-RPC id of the last tools/call sent for that progress token */
    Object requestIdOf(String progressToken) {
        return transport.toolCallIds.get(progressToken);
    }

    /** Sends notifications/cancelled for a request, as a client that gives up on it does. */
    void cancel(Object requestId) {
        transport.sendMessage(new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, "notifications/cancelled",
                Map.of("requestId", requestId, "reason", "the test gave up"))).block(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        client.closeGracefully();
    }

    /** The SDK's stdio transport, with a note of every tools/call's id by its progress token. */
    private static final class RecordingTransport implements McpClientTransport {
        private final McpClientTransport inner;
        final Map<String, Object> toolCallIds = new ConcurrentHashMap<>();

        RecordingTransport(McpClientTransport inner) {
            this.inner = inner;
        }

        @Override
        public Mono<Void> connect(Function<Mono<McpSchema.JSONRPCMessage>, Mono<McpSchema.JSONRPCMessage>> handler) {
            return inner.connect(handler);
        }

        @Override
        public void setExceptionHandler(Consumer<Throwable> handler) {
            inner.setExceptionHandler(handler);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return inner.closeGracefully();
        }

        @Override
        @SuppressWarnings("unchecked")
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            if (message instanceof McpSchema.JSONRPCRequest request && request.method().equals("tools/call")) {
                Map<String, Object> params = JSON.convertValue(request.params(), Map.class);
                Object meta = params.get("_meta");
                if (meta instanceof Map<?, ?> map && map.get("progressToken") != null) {
                    toolCallIds.put(map.get("progressToken").toString(), request.id());
                }
            }
            return inner.sendMessage(message);
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return inner.unmarshalFrom(data, typeRef);
        }

        @Override
        public List<String> protocolVersions() {
            return inner.protocolVersions();
        }
    }
}
