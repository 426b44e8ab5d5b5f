package dev.cloudrun.spi;

import dev.cloudrun.StreamKind;

/** Receives output from a {@link SandboxProcess}. */
@FunctionalInterface
public interface OutputSink {
    /**
     * Takes a chunk. The buffer may be reused by the caller after this returns, so copy what you keep.
     *
     * @param stream {@link StreamKind#STDOUT} or {@link StreamKind#STDERR}
     * @param buffer the bytes
     * @param offset where they start
     * @param length how many; at least one
     */
    void accept(StreamKind stream, byte[] buffer, int offset, int length);
}
