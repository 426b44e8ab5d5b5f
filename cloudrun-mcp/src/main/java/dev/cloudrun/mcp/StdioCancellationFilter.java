package dev.cloudrun.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sits between the client's stdin and the SDK's stdio transport (newline-delimited JSON-RPC): tags
 * each {@code tools/call} with its request id in {@code _meta}, and turns
 * {@code notifications/cancelled} into {@link RunCancellations#cancel}. Every other line passes as
 * it came. It is the stream the SDK reads, so it works on the SDK's reading thread, a line at a time
 * as the SDK asks for more (no thread or pipe of its own between the two); the SDK reads on while
 * its tools run, so a cancellation is seen as soon as it arrives. When stdin ends, the SDK reads
 * end-of-file only once {@link Filtered#endInput()} says so (every answer is out).
 */
final class StdioCancellationFilter {
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
     */
    static Filtered filter(InputStream clientInput, String connection, RunCancellations cancellations) {
        CompletableFuture<Void> ended = new CompletableFuture<>();
        AtomicLong requests = new AtomicLong();
        CompletableFuture<Void> release = new CompletableFuture<>();
        InputStream forSdk = new LineFilteringInput(clientInput, connection, cancellations, requests, ended, release);
        return new Filtered(forSdk, ended, requests, release);
    }

    /** The client's lines as they pass the filter, read on the reader's thread. */
    private static final class LineFilteringInput extends InputStream {
        private final BufferedReader lines;
        private final String connection;
        private final RunCancellations cancellations;
        private final AtomicLong requests;
        private final CompletableFuture<Void> ended;
        private final CompletableFuture<Void> release;
        private byte[] current = new byte[0];
        private int position;
        private boolean atEnd;

        LineFilteringInput(InputStream clientInput, String connection, RunCancellations cancellations,
                           AtomicLong requests, CompletableFuture<Void> ended, CompletableFuture<Void> release) {
            this.lines = new BufferedReader(new InputStreamReader(clientInput, StandardCharsets.UTF_8));
            this.connection = connection;
            this.cancellations = cancellations;
            this.requests = requests;
            this.ended = ended;
            this.release = release;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] buffer, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            while (position == current.length) {
                if (atEnd || !nextLine()) {
                    return -1;
                }
            }
            int count = Math.min(length, current.length - position);
            System.arraycopy(current, position, buffer, offset, count);
            position += count;
            return count;
        }

        /** @return false at the end of the client's input, once the answers are out */
        private boolean nextLine() {
            String line;
            try {
                line = lines.readLine();
            } catch (IOException e) {
                line = null;
            }
            if (line == null) {
                atEnd = true;
                ended.complete(null);
                release.join();
                return false;
            }
            String passed = inspect(line, connection, cancellations, requests);
            current = passed == null ? new byte[0] : (passed + "\n").getBytes(StandardCharsets.UTF_8);
            position = 0;
            return true;
        }
    }

    /** @return the line to pass on, or null to swallow it */
    static String inspect(String line, String connection, RunCancellations cancellations) {
        return inspect(line, connection, cancellations, new AtomicLong());
    }

    /**
     * @param requests counts the line when it is a JSON-RPC request (a method and an id), which the SDK will answer
     * @return the line to pass on, or null to swallow it
     */
    static String inspect(String line, String connection, RunCancellations cancellations, AtomicLong requests) {
        if (!line.contains("\"method\"")) {
            return line; // A response to one of the server's own requests, or not JSON-RPC at all.
        }
        JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (IOException e) {
            return line; // The SDK answers malformed input itself.
        }
        if (!(message instanceof ObjectNode object) || !object.has("method")) {
            return line;
        }
        if (object.has("id")) {
            requests.incrementAndGet();
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
