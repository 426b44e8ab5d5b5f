package dev.cloudrun.spi;

import dev.cloudrun.WorkspaceEntry;
import java.util.List;

/**
 * A long-lived sandbox holding one workspace's files (SPI side of {@link dev.cloudrun.Workspace}).
 * {@link #start} runs a step inside it against its files, within the workspace's limits; terminals
 * are shells on pseudo-terminals of the sandbox's own (never one of the host's). The host never
 * follows a path the sandbox's programs could have changed: file operations are done inside the
 * sandbox, or with no-follow opens relative to a folder only root can change.
 */
public interface WorkspaceSandbox extends Sandbox {

    /**
     * Starts an interactive login shell ({@code bash -l}, else {@code sh -l}) on a new
     * pseudo-terminal inside the sandbox, as user 1000, in the file tree, with {@code TERM=xterm-256color}.
     *
     * @param columns the width
     * @param rows the height
     * @param sink receives the terminal's output, one call at a time
     * @return the running shell
     * @throws dev.cloudrun.CloudRunException if it cannot start
     */
    TerminalProcess openTerminal(int columns, int rows, TerminalSink sink);

    /** @return the tree's files and folders, parents first */
    List<WorkspaceEntry> list();

    /**
     * @param path a checked relative path
     * @return the file's bytes
     * @throws dev.cloudrun.InvalidRequestException if there is no such regular file
     */
    byte[] read(String path);

    /**
     * @param path a checked relative path
     * @param content the bytes; missing parent folders are made
     * @throws dev.cloudrun.InvalidRequestException if the tree's cap would be passed, or the path is a folder
     */
    void write(String path, byte[] content);

    /** @param path a checked relative path; a folder goes with its content */
    void delete(String path);

    /**
     * @param from a checked relative path
     * @param to a checked relative path
     */
    void rename(String from, String to);

    /** @return the number of processes alive in the sandbox now (0 after close) */
    int processCount();
}
