package dev.cloudrun;

import java.util.List;

/**
 * A long-lived sandbox for one project ({@link CodeRunner#openWorkspace(WorkspaceSpec)}): a
 * size-capped file tree, shells on pseudo-terminals ({@link #openTerminal}), and runs of programs
 * against the same files ({@link #start}, {@link #run}). The files read and written here are the ones its shells
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
     * Starts a program against the workspace's files and returns at once (what an IDE's Run button
     * does when a terminal workspace is open), as {@link CodeRunner#start(RunRequest, RunListener)}
     * does for a sandbox of its own: the same queue, request checks, limits (capped by the
     * workspace's), interactive stdin, terminal mode, cancel and statuses.
     *
     * <p>What the request's files mean here: its main file and its other files are written into the
     * tree when the run gets its slot, like a save (a file of the same path is replaced, the tree's
     * other files stay as they are). The program runs in the tree, so it reads what the shells made,
     * and what it writes, creates or deletes stays in the tree, where {@link #list()}, {@link #read}
     * and the shells see it. A run's end (its time limit, a cancel, a crash) kills what it started,
     * never the workspace or its shells. Runs never use the compile cache here (the tree holds more
     * than the request's files), and precompiled artefacts cannot run here.
     *
     * @param request the run
     * @param listener receives the output and phases as they come
     * @return the execution; close it to cancel
     * @throws InvalidRequestException if the request is invalid (nothing runs then)
     * @throws QueueFullException if the runner's queue is full
     * @throws CloudRunException if the workspace or the runner is closed
     */
    Execution start(RunRequest request, RunListener listener);

    /**
     * Starts one of the tree's own files, as {@link #start} does, except that the main file is not
     * written: the file named by {@link RunRequest#withMainFileName(String)} runs as the tree holds it
     * when the run gets its slot (a file a shell changed while the run waited in the queue runs as
     * changed). The request's source is what the caller read of that file (the language's checks look
     * at it); its other files are written as by {@link #start}.
     *
     * @param request the run; its main file name is required
     * @param listener receives the output and phases as they come
     * @return the execution; close it to cancel
     * @throws InvalidRequestException if the request is invalid or names no main file
     * @throws QueueFullException if the runner's queue is full
     * @throws CloudRunException if the workspace or the runner is closed
     */
    Execution startFromTree(RunRequest request, RunListener listener);

    /**
     * Runs a program against the workspace's files and waits for its result: {@link #start} and
     * {@link Execution#await()}. Interrupting the calling thread cancels the run (it stops at once)
     * and this method throws.
     *
     * @param request the run
     * @param listener receives the output as it comes
     * @return the result
     */
    default RunResult run(RunRequest request, RunListener listener) {
        try (Execution execution = start(request, listener)) {
            return execution.await();
        }
    }

    /**
     * @param request the run
     * @return the result
     */
    default RunResult run(RunRequest request) {
        return run(request, RunListener.NONE);
    }

    /**
     * Opens a stateful interpreter in the workspace (a notebook's kernel): cells run one after
     * another in one long-lived process of the workspace, sharing variables, imports and functions,
     * against the tree's files and under the workspace's limits. Nothing runs until the first cell.
     * Only languages whose descriptor names an interpreter have one ({@code python} for now).
     *
     * @param language the language id or alias
     * @return the interpreter; close it to kill its process (closing the workspace does too)
     * @throws InvalidRequestException naming {@code language} when it is unknown or has no interpreter
     * @throws CloudRunException if the workspace is closed
     */
    Interpreter openInterpreter(String language);

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
