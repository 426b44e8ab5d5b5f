package dev.cloudrun.docker;

import com.github.dockerjava.transport.SSLConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Opens raw connections to the Docker daemon for attach hijacks. docker-java's transports cannot
 * half-close a hijacked stream (so stdin EOF never arrives); a {@link SocketChannel} over a unix or
 * TCP address, or a TLS 1.3 socket, can.
 */
final class DaemonEndpoint {
    private final URI dockerHost;
    private final SSLConfig sslConfig;

    DaemonEndpoint(URI dockerHost, SSLConfig sslConfig) {
        this.dockerHost = dockerHost;
        this.sslConfig = sslConfig;
    }

    /** @return the unix socket of a local daemon, or null when the daemon is reached over TCP */
    Path unixSocket() {
        return "unix".equals(dockerHost.getScheme()) ? Path.of(dockerHost.getPath()) : null;
    }

    /** @return whether the daemon runs on this host, so its containers' cgroups are readable here */
    boolean isLocal() {
        if (unixSocket() != null) {
            return true;
        }
        String host = dockerHost.getHost();
        return "localhost".equals(host) || "127.0.0.1".equals(host) || "::1".equals(host);
    }

    URI dockerHost() {
        return dockerHost;
    }

    /**
     * Describes a failed request, hinting at the daemon when the connection itself failed.
     *
     * @param e the failure
     * @return the description
     */
    String explain(Exception e) {
        String description = DockerProcess.describe(e);
        boolean connection = false;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            connection |= cause instanceof IOException;
        }
        return connection ? description + " (the Docker daemon at " + dockerHost
                + " stopped answering: was it stopped or restarted?)" : description;
    }

    /**
     * Opens a connection.
     *
     * @return the connection, not yet used
     * @throws IOException if the daemon cannot be reached
     */
    Connection connect() throws IOException {
        String scheme = dockerHost.getScheme();
        if ("unix".equals(scheme)) {
            return new ChannelConnection(SocketChannel.open(UnixDomainSocketAddress.of(dockerHost.getPath())));
        }
        if (!"tcp".equals(scheme) && !"http".equals(scheme) && !"https".equals(scheme)) {
            throw new IOException("unsupported DOCKER_HOST scheme: " + dockerHost);
        }
        InetSocketAddress address = new InetSocketAddress(dockerHost.getHost(), dockerHost.getPort());
        if (sslConfig == null) {
            SocketChannel channel = SocketChannel.open(address);
            channel.socket().setTcpNoDelay(true);
            return new ChannelConnection(channel);
        }
        try {
            SSLContext context = sslConfig.getSSLContext();
            Socket plain = new Socket();
            plain.connect(address, 10_000);
            SSLSocket socket = (SSLSocket) context.getSocketFactory()
                    .createSocket(plain, dockerHost.getHost(), dockerHost.getPort(), true);
            // Half-close (close_notify on output only) is a TLS 1.3 feature.
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.startHandshake();
            return new SocketConnection(socket);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot set up TLS to " + dockerHost + ": " + e.getMessage(), e);
        }
    }

    /** A bidirectional byte stream whose output side can be shut down on its own. */
    interface Connection extends AutoCloseable {
        InputStream input();

        OutputStream output();

        /** Sends end-of-stream to the daemon while still reading. */
        void shutdownOutput() throws IOException;

        @Override
        void close();
    }

    /**
     * Over a blocking {@link SocketChannel}. Reads and writes go straight to the channel: the streams
     * of {@link java.nio.channels.Channels} lock the channel, so a blocked read would block writes.
     */
    static final class ChannelConnection implements Connection {
        private final SocketChannel channel;
        private final InputStream input;
        private final OutputStream output;

        ChannelConnection(SocketChannel channel) {
            this.channel = channel;
            this.input = new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int read = read(one, 0, 1);
                    return read < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    if (length == 0) {
                        return 0;
                    }
                    int read;
                    do {
                        read = channel.read(ByteBuffer.wrap(buffer, offset, length));
                    } while (read == 0);
                    return read;
                }
            };
            this.output = new OutputStream() {
                @Override
                public void write(int value) throws IOException {
                    write(new byte[] {(byte) value}, 0, 1);
                }

                @Override
                public void write(byte[] buffer, int offset, int length) throws IOException {
                    ByteBuffer bytes = ByteBuffer.wrap(buffer, offset, length);
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                }
            };
        }

        @Override
        public InputStream input() {
            return input;
        }

        @Override
        public OutputStream output() {
            return output;
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // Closed anyway.
            }
        }
    }

    /** Over a TLS socket. */
    static final class SocketConnection implements Connection {
        private final Socket socket;

        SocketConnection(Socket socket) {
            this.socket = socket;
        }

        @Override
        public InputStream input() {
            try {
                return socket.getInputStream();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public OutputStream output() {
            try {
                return socket.getOutputStream();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // Closed anyway.
            }
        }
    }
}
