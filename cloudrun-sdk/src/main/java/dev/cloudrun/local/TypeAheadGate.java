package dev.cloudrun.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A local shell's keystrokes, held back until the sandbox's {@code script} has put the host's
 * pseudo-terminal in raw mode. Until then that terminal is still in the canonical mode pty4j made it
 * in, and its line discipline, not the shell's, would take type-ahead: it echoes it (a second time,
 * before the shell's own echo), cuts a line at 4095 bytes and drops the rest, and turns Ctrl+C into
 * SIGINT for the whole sandbox chain, which ends the terminal. {@code script} writes nothing before
 * it has made that switch, so the terminal's first output opens the gate; what was held goes in
 * first, in order, and later keystrokes follow it.
 */
final class TypeAheadGate extends OutputStream {
    private final OutputStream terminal;
    private ByteArrayOutputStream held = new ByteArrayOutputStream();

    /** @param terminal the pseudo-terminal's master */
    TypeAheadGate(OutputStream terminal) {
        this.terminal = terminal;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        if (held != null) {
            held.write(bytes, offset, length);
            return;
        }
        // Copied: pty4j 0.13 writes from a copy made at the offset it was given (wrong for offset > 0).
        terminal.write(offset == 0 && length == bytes.length ? bytes : java.util.Arrays.copyOfRange(bytes, offset, offset + length));
    }

    @Override
    public synchronized void flush() throws IOException {
        if (held == null) {
            terminal.flush();
        }
    }

    /** Lets keystrokes through from now on, what was held first. Idempotent. */
    synchronized void open() throws IOException {
        if (held == null) {
            return;
        }
        byte[] typed = held.toByteArray();
        held = null;
        if (typed.length > 0) {
            terminal.write(typed);
            terminal.flush();
        }
    }

    /** @return whether keystrokes are still held back */
    synchronized boolean holding() {
        return held != null;
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            held = null;
        }
        terminal.close();
    }
}
