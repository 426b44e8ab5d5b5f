package dev.cloudrun.server.terminals;

/**
 * The last bytes a terminal wrote, at most a fixed number: what a client that re-attaches is shown
 * again. Not thread-safe; its {@link TerminalSession} guards it.
 */
final class OutputRing {
    private final byte[] ring;
    private long written;

    /** @param capacity how many bytes it keeps */
    OutputRing(int capacity) {
        this.ring = new byte[capacity];
    }

    /** @param data bytes to keep (only the last {@code capacity} of them if more) */
    void append(byte[] data) {
        int offset = Math.max(0, data.length - ring.length);
        for (int i = offset; i < data.length; i++) {
            ring[(int) ((written + i - offset) % ring.length)] = data[i];
        }
        written += data.length - offset;
    }

    /** @return the kept bytes, oldest first */
    byte[] contents() {
        int size = (int) Math.min(written, ring.length);
        byte[] copy = new byte[size];
        int start = (int) ((written - size) % ring.length);
        for (int i = 0; i < size; i++) {
            copy[i] = ring[(start + i) % ring.length];
        }
        return copy;
    }
}
