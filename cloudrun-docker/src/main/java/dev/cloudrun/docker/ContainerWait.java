package dev.cloudrun.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code POST /containers/{id}/wait?condition=not-running} long poll on a connection of its own,
 * sent while the container runs: the daemon answers the moment it records the container stopped,
 * with the exit code. The monitor of a pre-started container reads it instead of polling inspect
 * (whose back-off cost up to 16 ms here), and asks inspect only when the exit code says the kernel
 * or the daemon may have ended the program (it is not 0).
 */
final class ContainerWait implements AutoCloseable {
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;
    private static final Pattern STATUS_CODE = Pattern.compile("\"StatusCode\"\\s*:\\s*(-?\\d+)");

    private final DaemonEndpoint.Connection connection;

    private ContainerWait(DaemonEndpoint.Connection connection) {
        this.connection = connection;
    }

    /**
     * Sends the wait request; the answer comes when the container stops.
     *
     * @param endpoint the daemon
     * @param containerId a running container
     * @return the pending wait
     * @throws IOException if the request cannot be sent
     */
    static ContainerWait open(DaemonEndpoint endpoint, String containerId) throws IOException {
        DaemonEndpoint.Connection connection = endpoint.connect();
        try {
            String host = endpoint.unixSocket() != null ? "docker" : endpoint.dockerHost().getAuthority();
            String request = "POST /containers/" + containerId + "/wait?condition=not-running HTTP/1.1\r\n"
                    + "Host: " + host + "\r\n"
                    + "User-Agent: cloudrun\r\n"
                    + "Content-Length: 0\r\n"
                    + "Connection: close\r\n\r\n";
            connection.output().write(request.getBytes(StandardCharsets.US_ASCII));
            connection.output().flush();
            return new ContainerWait(connection);
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /**
     * Blocks until the daemon answers (the container stopped), then closes the connection.
     *
     * @return the exit code, or empty when the answer was not a successful wait (the caller asks inspect)
     */
    OptionalInt exitCode() {
        try (connection) {
            InputStream in = connection.input();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            while (response.size() < MAX_RESPONSE_BYTES) {
                int read = in.read(buffer);
                if (read < 0) {
                    break;
                }
                response.write(buffer, 0, read);
            }
            String text = response.toString(StandardCharsets.ISO_8859_1);
            if (!text.startsWith("HTTP/1.1 200")) {
                return OptionalInt.empty();
            }
            Matcher matcher = STATUS_CODE.matcher(text.substring(text.indexOf("\r\n\r\n") + 4));
            return matcher.find() ? OptionalInt.of(Integer.parseInt(matcher.group(1))) : OptionalInt.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalInt.empty();
        }
    }

    /** Abandons the wait (a blocked {@link #exitCode} returns empty). */
    @Override
    public void close() {
        connection.close();
    }
}
