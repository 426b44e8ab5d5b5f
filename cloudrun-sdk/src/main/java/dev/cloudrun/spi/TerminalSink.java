package dev.cloudrun.spi;

/** Receives a {@link TerminalProcess}'s output, one call at a time, in order. */
public interface TerminalSink {

    /**
     * @param data the buffer; only {@code data[offset, offset + length)} is valid during the call
     * @param offset where the bytes start
     * @param length how many
     */
    void output(byte[] data, int offset, int length);
}
