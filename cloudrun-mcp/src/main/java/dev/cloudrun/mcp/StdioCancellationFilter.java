package dev.cloudrun.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between the client's stdin and the SDK's stdio transport (newline-delimited JSON-RPC): tags
 * each {@code tools/call} with its request id in {@code _meta}, and turns
 * {@code notifications/cancelled} into {@link RunCancellations#cancel}. Every other line passes as
 * it came. One thread copies; it ends when stdin does, and the SDK then reads end-of-file.
 */
final class StdioCancellationFilter {
    private static final Logger LOG = LoggerFactory.getLogger(StdioCancellationFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private StdioCancellationFilter() { }

    /** The filtered input, and a future completed when the client's input has ended. */
    record Filtered(InputStream input, CompletableFuture<Void> ended) { }

    /**
     * @param clientInput what the client writes
     * @param connection the connection's name, the first half of every cancellation key
     * @param cancellations where cancellations go
     * @return what the SDK's transport should read
     * @throws IOException if the pipe cannot be made
     */
    static Filtered filter(InputStream clientInput, String connection, RunCancellations cancellations)
            throws IOException {
        PipedInputStream forSdk = new PipedInputStream(1 << 20);
        PipedOutputStream toSdk = new PipedOutputStream(forSdk);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        Thread copier = new Thread(() -> {
            try {
                copy(clientInput, toSdk, connection, cancellations);
            } finally {
                ended.complete(null);
            }
        }, "mcp-stdin");
        copier.setDaemon(true);
        copier.start();
        return new Filtered(forSdk, ended);
    }

    private static void copy(InputStream clientInput, OutputStream toSdk, String connection,
                             RunCancellations cancellations) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(clientInput, StandardCharsets.UTF_8));
             OutputStream out = toSdk) {
            String line;
            while ((line = lines.readLine()) != null) {
                String passed = inspect(line, connection, cancellations);
                if (passed != null) {
                    out.write(passed.getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                    out.flush();
                }
            }
        } catch (IOException e) {
            LOG.debug("stdin copy ended: {}", e.toString());
        }
    }

    /** @return the line to pass on, or null to swallow it */
    static String inspect(String line, String connection, RunCancellations cancellations) {
        if (!line.contains("\"tools/call\"") && !line.contains("\"notifications/cancelled\"")) {
            return line;
        }
        JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (IOException e) {
            return line; // The SDK answers malformed input itself.
        }
        if (!(message instanceof ObjectNode object)) {
            return line;
        }
        String method = object.path("method").asText("");
        if (method.equals("notifications/cancelled")) {
            JsonNode id = object.path("params").path("requestId");
            if (!id.isMissingNode()) {
                cancellations.cancel(connection + "#" + id.asText());
            }
            return null; // The SDK has no handler for it and would only log a warning.
        }
        if (method.equals("tools/call") && object.has("id") && object.path("params") instanceof ObjectNode params) {
            JsonNode meta = params.path("_meta");
            ObjectNode tagged = meta instanceof ObjectNode existing ? existing : params.putObject("_meta");
            tagged.put(RunCancellations.REQUEST_ID_META, connection + "#" + object.get("id").asText());
            return object.toString();
        }
        return line;
    }
}
