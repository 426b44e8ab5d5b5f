package dev.cloudrun;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * A shell on a pseudo-terminal inside a {@link Workspace}. Bytes in are keystrokes as typed (Ctrl+C
 * is byte 3: the terminal driver turns it into SIGINT for the foreground process group); bytes out
 * go to the {@link TerminalListener}, with colours and cursor control as a terminal emulator
 * expects them.
 */
public interface Terminal extends AutoCloseable {

    /**
     * Types bytes into the terminal.
     *
     * @param keystrokes what was typed
     * @throws CloudRunException if the terminal has ended
     */
    void write(byte[] keystrokes);

    /**
     * Changes the terminal's size; the foreground program gets SIGWINCH.
     *
     * @param columns the width
     * @param rows the height
     */
    void resize(int columns, int rows);

    /**
     * Waits for the shell to end.
     *
     * @param timeout how long to wait at most
     * @return its exit status (128 + N after signal N), or empty if it still runs
     * @throws InterruptedException if the waiting thread is interrupted
     */
    OptionalInt await(Duration timeout) throws InterruptedException;

    /** @return whether the shell is still running */
    boolean isOpen();

    /** Hangs up: the shell's session gets SIGHUP, and what is left of it is killed. Idempotent. */
    @Override
    void close();
}
