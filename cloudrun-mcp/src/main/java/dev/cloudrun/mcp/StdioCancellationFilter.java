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
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits between the client's stdin and the SDK's stdio transport (newline-delimited JSON-RPC): tags
 * each {@code tools/call} with its request id in {@code _meta}, and turns
 * {@code notifications/cancelled} into {@link RunCancellations#cancel}. Every other line passes as
 * it came. One thread copies; when stdin ends, the SDK reads end-of-file only once
 * {@link Filtered#endInput()} says so (every answer is out).
 */
final class StdioCancellationFilter {
    private static final Logger LOG = LoggerFactory.getLogger(StdioCancellationFilter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private StdioCancellationFilter() { }

    /**
     * The filtered input, a future completed when the client's input has ended, and how many
     * requests (messages with a method and an id) the client has sent.
     */
    record Filtered(InputStream input, CompletableFuture<Void> ended, AtomicLong requests,
                    CompletableFuture<Void> release) {
        /** Ends the SDK's input: call it once every request has its answer (the SDK drops answers after its EOF). */
        void endInput() {
            release.complete(null);
        }
    }

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
        AtomicLong requests = new AtomicLong();
        CompletableFuture<Void> release = new CompletableFuture<>();
        Thread copier = new Thread(() -> {
            try {
                copy(clientInput, toSdk, connection, cancellations, requests);
            } finally {
                ended.complete(null);
                // A piped stream whose writing thread has died fails its reader: this thread lives,
                // and the SDK reads on, until the answers are out.
                release.join();
                try {
                    toSdk.close();
                } catch (IOException e) {
                    LOG.debug("closing the SDK's input: {}", e.toString());
                }
            }
        }, "mcp-stdin");
        copier.setDaemon(true);
        copier.start();
        return new Filtered(forSdk, ended, requests, release);
    }

    private static void copy(InputStream clientInput, OutputStream toSdk, String connection,
                             RunCancellations cancellations, AtomicLong requests) {
        OutputStream out = toSdk;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(clientInput, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.contains("\"method\"") && line.contains("\"id\"") && isRequest(line)) {
                    requests.incrementAndGet();
                }
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

    /** @return whether the line is a JSON-RPC request (a method and an id), which the SDK will answer */
    static boolean isRequest(String line) {
        try {
            JsonNode message = JSON.readTree(line);
            return message != null && message.has("method") && message.has("id");
        } catch (IOException e) {
            return false;
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
