package dev.cloudrun.spi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A shell's keystrokes, held back until the shell's terminal is in the mode the shell reads it in.
 * A pseudo-terminal starts in canonical mode with echo, and until the program behind it changes that
 * (util-linux {@code script} making the local backend's host pty raw; readline preparing the
 * terminal before it draws the first prompt), the kernel's line discipline, not the shell, takes
 * type-ahead: it echoes it (a second time, before the shell's own echo), cuts a line at 4095 bytes
 * and drops the rest, and turns Ctrl+C into SIGINT for the whole chain. Both programs write nothing
 * before they have made that switch, so a backend opens the gate at the terminal's first output
 * (or after {@link #LONGEST_WAIT}, whichever is first); what was held goes in first, in order, and
 * later keystrokes follow it. At most {@link #MAX_HELD_BYTES} are held; more is refused.
 */
public final class TypeAheadGate extends OutputStream {
    /** The longest keystrokes are held when the terminal never writes anything. */
    public static final java.time.Duration LONGEST_WAIT = java.time.Duration.ofSeconds(10);
    /** The most bytes held back. */
    public static final int MAX_HELD_BYTES = 1 << 20;
    private final OutputStream terminal;
    private ByteArrayOutputStream held = new ByteArrayOutputStream();

    /** @param terminal the pseudo-terminal's master */
    public TypeAheadGate(OutputStream terminal) {
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
            if (held.size() + length > MAX_HELD_BYTES) {
                throw new IOException("the terminal is not ready for more than " + MAX_HELD_BYTES + " bytes of type-ahead");
            }
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
    public synchronized void open() throws IOException {
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
    public synchronized boolean holding() {
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
