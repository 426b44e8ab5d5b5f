package dev.cloudrun.spi;

import java.io.OutputStream;
import java.time.Duration;
import java.util.OptionalInt;

/** A shell running on a pseudo-terminal inside a {@link WorkspaceSandbox}. */
public interface TerminalProcess {

    /** @return the terminal's input (the pseudo-terminal's master side): keystrokes as typed */
    OutputStream input();

    /**
     * @param columns the new width
     * @param rows the new height
     */
    void resize(int columns, int rows);

    /**
     * @param timeout how long to wait at most
     * @return the shell's exit status (128 + N after signal N) once it ended and its output was delivered
     * @throws InterruptedException if interrupted
     */
    OptionalInt await(Duration timeout) throws InterruptedException;

    /** Hangs up (SIGHUP to the shell's session), then kills what is left of the session. Idempotent. */
    void hangUp();
}
