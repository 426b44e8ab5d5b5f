package dev.cloudrun.spi;

import dev.cloudrun.StreamKind;
import java.io.IOException;
import java.io.InputStream;

/** Receives output from a {@link SandboxProcess}. */
@FunctionalInterface
public interface OutputSink {
    /** How many bytes {@link #drain} asks for at a time: a Linux pipe's default capacity. */
    int READ_BYTES = 64 * 1024;

    /**
     * Takes a chunk. The buffer may be reused by the caller after this returns, so copy what you keep.
     *
     * @param stream {@link StreamKind#STDOUT} or {@link StreamKind#STDERR}
     * @param buffer the bytes
     * @param offset where they start
     * @param length how many; at least one
     */
    void accept(StreamKind stream, byte[] buffer, int offset, int length);

    /**
     * Reads a stream to its end into this sink. A backend that holds its process's output as an
     * {@link InputStream} can hand it over whole; the sink may then read straight into its own
     * storage and save a copy of every chunk. The default reads {@link #READ_BYTES} at a time into
     * one buffer and passes each chunk to {@link #accept}, so a sink that only implements
     * {@code accept} behaves as if the backend had called it.
     *
     * <p>Calls for stdout and stderr may run at the same time on different threads, as calls to
     * {@code accept} may. Does not close the stream.
     *
     * @param stream {@link StreamKind#STDOUT} or {@link StreamKind#STDERR}
     * @param in the process's end of the pipe
     * @throws IOException if reading fails (for a pipe closed under it: the step is over)
     */
    default void drain(StreamKind stream, InputStream in) throws IOException {
        byte[] buffer = new byte[READ_BYTES];
        for (int read; (read = in.read(buffer)) >= 0; ) {
            if (read > 0) {
                accept(stream, buffer, 0, read);
            }
        }
    }
}
