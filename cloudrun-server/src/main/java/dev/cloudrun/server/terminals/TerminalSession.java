package dev.cloudrun.server.terminals;

import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

/**
 * One shell of a workspace, as the server keeps it: the SDK terminal, the last 64 KiB it wrote
 * (shown again to a client that re-attaches), and the socket watching it, if any. It outlives its
 * socket for the re-attach window ({@link WorkspaceRegistry}). Output is handed to the viewer as
 * text decoded across chunks, under this object's lock, so a re-attaching viewer sees the replay
 * and then everything after it, in order and once.
 */
public final class TerminalSession implements TerminalListener {
    /** How much recent output is kept for a client that re-attaches. */
    static final int REPLAY_BYTES = 64 * 1024;

    /** The socket side of a terminal; its methods are called under the session's lock and must not block. */
    public interface Viewer {
        /** @param text output, whole characters */
        void output(String text);

        /** @param status the shell's exit status */
        void exited(int status);

        /**
         * @param paths project files the shell changed
         * @param skipped files left out of the project, with why
         */
        void filesChanged(List<String> paths, Map<String, String> skipped);

        /** Another socket re-attached to this terminal. */
        void replaced();
    }

    private final String id;
    private final String userId;
    private final String projectId;
    private final Consumer<TerminalSession> onEnded;
    private final OutputRing recent = new OutputRing(REPLAY_BYTES);
    private volatile Terminal terminal;
    private Viewer viewer;
    private Utf8Stream decoder = new Utf8Stream();
    private Integer exitStatus;
    private ScheduledFuture<?> hangUp;

    TerminalSession(String id, String userId, String projectId, Consumer<TerminalSession> onEnded) {
        this.id = id;
        this.userId = userId;
        this.projectId = projectId;
        this.onEnded = onEnded;
    }

    /** @return the terminal's id, what a client re-attaches with */
    public String id() {
        return id;
    }

    String userId() {
        return userId;
    }

    String projectId() {
        return projectId;
    }

    void started(Terminal started) {
        this.terminal = started;
    }

    @Override
    public synchronized void output(byte[] data) {
        recent.append(data);
        if (viewer != null) {
            String text = decoder.decode(data);
            if (!text.isEmpty()) {
                viewer.output(text);
            }
        }
    }

    @Override
    public void exited(int status) {
        synchronized (this) {
            if (exitStatus != null) {
                return;
            }
            exitStatus = status;
            if (hangUp != null) {
                hangUp.cancel(false);
            }
            if (viewer != null) {
                viewer.exited(status);
            }
        }
        onEnded.accept(this);
    }

    /**
     * Makes a socket the viewer: it gets the recent output first, then what follows; a viewer
     * already attached is told it was replaced.
     *
     * @param next the new viewer
     */
    public synchronized void attach(Viewer next) {
        if (viewer != null && viewer != next) {
            viewer.replaced();
        }
        if (hangUp != null) {
            hangUp.cancel(false);
            hangUp = null;
        }
        viewer = next;
        decoder = new Utf8Stream();
        String replay = decoder.decode(trimLeadingContinuation(recent.contents()));
        if (!replay.isEmpty()) {
            next.output(replay);
        }
        if (exitStatus != null) {
            next.exited(exitStatus);
        }
    }

    /**
     * The viewer's socket is gone; the terminal waits for another.
     *
     * @param gone the viewer that left
     * @return whether it was the current viewer of a shell still running
     */
    synchronized boolean detach(Viewer gone) {
        if (viewer != gone) {
            return false;
        }
        viewer = null;
        return exitStatus == null;
    }

    /** @param task what hangs the shell up when nobody re-attaches in time */
    synchronized void hangUpLater(ScheduledFuture<?> task) {
        if (viewer == null && exitStatus == null) {
            hangUp = task;
        } else {
            task.cancel(false);
        }
    }

    /** @return whether no socket watches it */
    synchronized boolean detached() {
        return viewer == null;
    }

    /** @return whether the shell still runs */
    public synchronized boolean running() {
        return exitStatus == null;
    }

    /** @param keystrokes typed bytes */
    public void write(byte[] keystrokes) {
        terminal.write(keystrokes);
    }

    /**
     * @param columns the new width
     * @param rows the new height
     */
    public void resize(int columns, int rows) {
        terminal.resize(columns, rows);
    }

    /** Hangs the shell up; {@link #exited} follows. */
    public void close() {
        Terminal current = terminal;
        if (current != null) {
            current.close();
        }
    }

    /** Called by the registry when a viewer's files changed. */
    synchronized void filesChanged(List<String> paths, Map<String, String> skipped) {
        if (viewer != null) {
            viewer.filesChanged(paths, skipped);
        }
    }

    private static byte[] trimLeadingContinuation(byte[] data) {
        int start = 0;
        while (start < data.length && start < 3 && (data[start] & 0xC0) == 0x80) {
            start++;
        }
        return start == 0 ? data : java.util.Arrays.copyOfRange(data, start, data.length);
    }
}
