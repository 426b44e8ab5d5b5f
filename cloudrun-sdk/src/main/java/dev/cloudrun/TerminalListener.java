package dev.cloudrun;

/** Receives what a {@link Terminal} writes. Called from one thread at a time, in order. */
public interface TerminalListener {

    /**
     * @param data bytes the terminal wrote (may split a UTF-8 character or an escape sequence)
     */
    void output(byte[] data);

    /**
     * The shell ended.
     *
     * @param status its exit status (128 + N after signal N)
     */
    default void exited(int status) { }
}
