package dev.cloudrun.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnswerCountingOutputTest {
    /** The SDK's own mapper, as the stdio transport writes with it. */
    private static final JacksonMcpJsonMapper SDK_JSON = new JacksonMcpJsonMapper(new ObjectMapper());

    @Test
    void countsTheSdksResponsesAndNotItsRequestsOrNotifications() throws Exception {
        List<McpSchema.JSONRPCMessage> messages = List.of(
                new McpSchema.JSONRPCNotification(McpSchema.JSONRPC_VERSION, "notifications/progress",
                        Map.of("progressToken", "p", "progress", 1, "message", "{\"jsonrpc\":\"2.0\",\"id\":")),
                new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, 1, Map.of("content", List.of()), null),
                new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, "ping", "server-1", null),
                new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, "two", null,
                        new McpSchema.JSONRPCResponse.JSONRPCError(-32602, "bad", null)));
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (AnswerCountingOutput out = new AnswerCountingOutput(sink)) {
            for (McpSchema.JSONRPCMessage message : messages) {
                // As the SDK writes: the JSON, then the newline, in two writes.
                byte[] json = SDK_JSON.writeValueAsString(message).getBytes(StandardCharsets.UTF_8);
                out.write(json);
                out.write("\n".getBytes(StandardCharsets.UTF_8));
                expected.write(json);
                expected.write('\n');
            }
            assertThat(out.answers()).isEqualTo(2);
            // One byte at a time, a response split anywhere still counts once.
            for (byte b : (SDK_JSON.writeValueAsString(new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, 3,
                    Map.of(), null)) + "\n").getBytes(StandardCharsets.UTF_8)) {
                out.write(b);
                expected.write(b);
            }
            assertThat(out.answers()).isEqualTo(3);
        }
        assertThat(sink.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void anAnswerToAClientThatHasGoneStillCounts() throws Exception {
        java.io.OutputStream closedPipe = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        AnswerCountingOutput out = new AnswerCountingOutput(closedPipe);
        byte[] answer = (SDK_JSON.writeValueAsString(new McpSchema.JSONRPCResponse(McpSchema.JSONRPC_VERSION, 1,
                Map.of(), null)) + "\n").getBytes(StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> out.write(answer)).hasMessage("Broken pipe");
        // So the server that waits for its answers before it ends does not wait for this one.
        assertThat(out.answers()).isEqualTo(1);
    }
}
