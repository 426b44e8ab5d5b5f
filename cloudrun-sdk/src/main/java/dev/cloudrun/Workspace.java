package dev.cloudrun;

import java.util.List;

/**
 * A long-lived sandbox for one project ({@link CodeRunner#openWorkspace(WorkspaceSpec)}): a
 * size-capped file tree, shells on pseudo-terminals ({@link #openTerminal}), and runs of programs
 * against the same files ({@link #run}). The files read and written here are the ones its shells
 * see, and the reverse. Its limits ({@link WorkspaceSpec}) hold for everything started in it.
 * Thread-safe. Closing it kills every process in it and removes everything the backend made for
 * it; it also closes itself after its idle timeout or maximum lifetime.
 */
public interface Workspace extends AutoCloseable {

    /** @return an id unique on this runner */
    String id();

    /**
     * Starts an interactive login shell on a pseudo-terminal of the workspace's own, in its file
     * tree. Several terminals may be open at once.
     *
     * @param columns the terminal's width
     * @param rows the terminal's height
     * @param listener receives the terminal's output and its end
     * @return the terminal
     * @throws CloudRunException if the workspace is closed or the shell cannot start
     */
    Terminal openTerminal(int columns, int rows, TerminalListener listener);

    /**
     * Runs a program against the workspace's files (what an IDE's Run button does when a terminal
     * workspace is open): the request's files are written over the workspace's first. Interrupting
     * the calling thread cancels the run (it stops at once) and this method throws.
     *
     * @param request the run
     * @param listener receives the output as it comes
     * @return the result
     */
    RunResult run(RunRequest request, RunListener listener);

    /**
     * @param request the run
     * @return the result
     */
    default RunResult run(RunRequest request) {
        return run(request, RunListener.NONE);
    }

    /** @return every file and folder of the tree, by relative path, parents before children */
    List<WorkspaceEntry> list();

    /**
     * @param path a relative path
     * @return the file's bytes
     * @throws InvalidRequestException if the path is not a relative path inside the tree, or no file
     */
    byte[] read(String path);

    /**
     * Creates or replaces a file (and its missing parent folders).
     *
     * @param path a relative path
     * @param content the bytes
     * @throws InvalidRequestException if the path leaves the tree, or the tree's cap would be passed
     */
    void write(String path, byte[] content);

    /** @param path a file or folder (with what it holds) to delete */
    void delete(String path);

    /**
     * @param from the path of a file or folder
     * @param to its new path
     */
    void rename(String from, String to);

    /** @return whether the workspace is still open */
    boolean isOpen();

    /** Kills every process in it and removes it; idempotent. */
    @Override
    void close();
}
