package dev.cloudrun.docker;

import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A container's stdin, stdout and stderr over one hijacked {@code POST /containers/{id}/attach}
 * connection, opened before the container starts so no early output is lost. Without a TTY the
 * daemon multiplexes stdout and stderr in frames (8-byte header: stream, 0, 0, 0, big-endian
 * length); stdin is raw bytes the other way, and shutting down our output side makes the daemon
 * close the program's stdin (the container is created with {@code StdinOnce}), which is how
 * end-of-file reaches the program.
 */
final class ContainerAttach implements AutoCloseable {
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final DaemonEndpoint.Connection connection;
    private final InputStream input;
    private final OutputStream stdin;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerAttach(DaemonEndpoint.Connection connection) {
        this.connection = connection;
        this.input = connection.input();
        this.stdin = new StdinStream();
    }

    /**
     * Attaches to a created (not yet started) container.
     *
     * @param endpoint the daemon
     * @param containerId the container
     * @return the attached streams, ready before the container starts
     * @throws IOException if the daemon refuses or the connection fails
     */
    static ContainerAttach open(DaemonEndpoint endpoint, String containerId) throws IOException {
        return hijack(endpoint, "/containers/" + containerId + "/attach?stream=1&stdin=1&stdout=1&stderr=1",
                "text/plain", "", "attach to container " + containerId);
    }

    /**
     * Starts a created exec instance and takes over its streams (the exec-start hijack). With a TTY
     * its output is the pseudo-terminal's raw bytes ({@link #pumpRaw}); without, frames as for an
     * attach ({@link #pumpOutput}). Closing {@link #stdin()} makes the daemon close the exec's stdin.
     *
     * @param endpoint the daemon
     * @param execId the exec instance, created with stdin, stdout and stderr attached
     * @param tty whether it was created with a TTY
     * @return its streams
     * @throws IOException if the daemon refuses or the connection fails
     */
    static ContainerAttach startExec(DaemonEndpoint endpoint, String execId, boolean tty) throws IOException {
        return hijack(endpoint, "/exec/" + execId + "/start", "application/json",
                "{\"Detach\":false,\"Tty\":" + tty + "}", "start exec " + execId);
    }

    private static ContainerAttach hijack(DaemonEndpoint endpoint, String path, String contentType, String body,
                                          String what) throws IOException {
        DaemonEndpoint.Connection connection = endpoint.connect();
        try {
            String host = endpoint.unixSocket() != null ? "docker" : endpoint.dockerHost().getAuthority();
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            String request = "POST " + path + " HTTP/1.1\r\n"
                    + "Host: " + host + "\r\n"
                    + "User-Agent: cloudrun\r\n"
                    + "Content-Type: " + contentType + "\r\n"
                    + "Content-Length: " + content.length + "\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: tcp\r\n\r\n";
            connection.output().write(request.getBytes(StandardCharsets.US_ASCII));
            connection.output().write(content);
            connection.output().flush();
            String head = readResponseHead(connection.input());
            String statusLine = head.lines().findFirst().orElse("");
            if (!statusLine.startsWith("HTTP/1.1 101") && !statusLine.startsWith("HTTP/1.1 200")) {
                throw new IOException("the daemon refused to " + what + ": " + statusLine);
            }
            return new ContainerAttach(connection);
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** Reads the HTTP response head byte by byte, so nothing of the stream after it is consumed. */
    private static String readResponseHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] terminator = {'\r', '\n', '\r', '\n'};
        while (matched < terminator.length) {
            int value = in.read();
            if (value < 0) {
                throw new EOFException("the daemon closed the attach connection before answering");
            }
            head.write(value);
            matched = value == terminator[matched] ? matched + 1 : (value == '\r' ? 1 : 0);
            if (head.size() > MAX_HEADER_BYTES) {
                throw new IOException("the daemon's attach response head is too long");
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** @return the program's stdin; {@code close()} delivers end-of-file */
    OutputStream stdin() {
        return stdin;
    }

    /**
     * Delivers stdout and stderr to the sink until the container closes them. Runs on the calling
     * thread. The buffer is reused between calls, which {@link OutputSink} allows.
     *
     * @param sink where the chunks go
     * @throws IOException if the connection breaks (daemon gone) rather than ending cleanly
     */
    void pumpOutput(OutputSink sink) throws IOException {
        byte[] header = new byte[8];
        byte[] buffer = new byte[32 * 1024];
        while (true) {
            int got = readFully(header, header.length, true);
            if (got == 0) {
                return;
            }
            int kind = header[0];
            long length = ((header[4] & 0xffL) << 24) | ((header[5] & 0xffL) << 16) | ((header[6] & 0xffL) << 8)
                    | (header[7] & 0xffL);
            StreamKind stream = kind == 2 ? StreamKind.STDERR : StreamKind.STDOUT;
            while (length > 0) {
                int chunk = input.read(buffer, 0, (int) Math.min(buffer.length, length));
                if (chunk < 0) {
                    throw new EOFException("the attach stream ended inside a frame");
                }
                if (chunk > 0 && kind != 0) {
                    sink.accept(stream, buffer, 0, chunk);
                }
                length -= chunk;
            }
        }
    }

    /**
     * Delivers a TTY's output (one raw stream, as stdout) to the sink until the daemon ends it.
     *
     * @param sink where the chunks go
     * @throws IOException if the connection breaks rather than ending cleanly
     */
    void pumpRaw(OutputSink sink) throws IOException {
        byte[] buffer = new byte[32 * 1024];
        for (int read; (read = input.read(buffer)) >= 0; ) {
            if (read > 0) {
                sink.accept(StreamKind.STDOUT, buffer, 0, read);
            }
        }
    }

    private int readFully(byte[] target, int length, boolean eofAllowedAtStart) throws IOException {
        int total = 0;
        while (total < length) {
            int read = input.read(target, total, length - total);
            if (read < 0) {
                if (total == 0 && eofAllowedAtStart) {
                    return 0;
                }
                throw new EOFException("the attach stream ended inside a frame header");
            }
            total += read;
        }
        return total;
    }

    /** Closes both directions; a blocked {@link #pumpOutput} returns with an exception. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            connection.close();
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Raw bytes to the program; close shuts down the connection's output side only. */
    private final class StdinStream extends OutputStream {
        private boolean eofSent;

        @Override
        public void write(int value) throws IOException {
            write(new byte[] {(byte) value}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] buffer, int offset, int length) throws IOException {
            if (eofSent || closed.get()) {
                throw new IOException("stdin is closed");
            }
            connection.output().write(buffer, offset, length);
        }

        @Override
        public synchronized void flush() throws IOException {
            if (!eofSent && !closed.get()) {
                connection.output().flush();
            }
        }

        @Override
        public synchronized void close() throws IOException {
            if (eofSent || closed.get()) {
                return;
            }
            eofSent = true;
            connection.output().flush();
            connection.shutdownOutput();
        }
    }
}
