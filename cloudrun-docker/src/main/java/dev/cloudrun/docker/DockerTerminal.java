package dev.cloudrun.docker;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.TypeAheadGate;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A login shell on a pseudo-terminal of a workspace container: an exec with a TTY (the daemon opens
 * the pty in the container's own devpts and makes it the controlling terminal of a new session, so
 * the host's terminal is never in reach and {@code TIOCSTI} can only push into this pty). Keystrokes
 * go to the pty's master as typed, so the line discipline delivers Ctrl+C to the foreground process
 * group as at any terminal; resize is the exec-resize call (the kernel then sends SIGWINCH).
 *
 * <p>The session leader is a small {@code sh} that runs {@code bash -l} (else {@code sh -l}); when
 * the shell ends, it ends the rest of its session (background jobs, a {@code nohup} that ignores
 * SIGHUP) so that the pty closes and the exit status arrives, and exits with the shell's status.
 * {@link #hangUp()} ends the whole session from inside the container the same way.
 */
final class DockerTerminal implements TerminalProcess {
    /**
     * Reports its pid only once it saw room for a login shell in the pids cgroup (cgroup v2 or v1, as
     * the container sees its own) and a fork worked, so that a full process table is an error of the
     * open, not a shell that retries its forks for seconds or dies.
     */
    private static final String SUPERVISOR = WorkspaceExec.SESSION_FUNCTIONS + """
            for _d in /sys/fs/cgroup /sys/fs/cgroup/pids; do
              if [ -r "$_d/pids.max" ] && [ -r "$_d/pids.current" ] && read -r _max < "$_d/pids.max" \
                  && read -r _cur < "$_d/pids.current"; then
                if [ "$_max" != max ] && [ $((_max - _cur)) -lt 6 ]; then
                  echo "only $((_max - _cur)) more processes fit in the workspace"; exit 126
                fi
                break
              fi
            done
            if ! ( : ) 2>/dev/null; then echo "no process can be started"; exit 126; fi
            echo $$
            if command -v bash >/dev/null 2>&1; then bash -l; else sh -l; fi
            _status=$?
            cloudrun_end_session $$
            exit $_status
            """;

    private final DockerSandboxBackend backend;
    private final WorkspaceExec exec;
    private final TypeAheadGate input;
    private final AtomicBoolean hungUp = new AtomicBoolean();

    private DockerTerminal(DockerSandboxBackend backend, WorkspaceExec exec) {
        this.backend = backend;
        this.exec = exec;
        this.input = new TypeAheadGate(new KeystrokeStream(exec.stdin()));
    }

    static DockerTerminal open(DockerSandboxBackend backend, String containerId, int maxProcesses, int columns,
                               int rows, TerminalSink sink, Consumer<DockerTerminal> ended) {
        // Keystrokes typed before bash's readline has prepared the terminal would be taken by the
        // pty's canonical line discipline (echoed twice, a long line cut): they wait for its first output.
        AtomicBoolean outputSeen = new AtomicBoolean();
        AtomicReference<TypeAheadGate> gate = new AtomicReference<>();
        WorkspaceExec exec = WorkspaceExec.start(backend, containerId, SUPERVISOR, List.of(),
                // Histories go to the container's own /tmp, not into the project's files.
                DockerWorkspace.environment(Map.of("TERM", "xterm-256color", "COLORTERM", "truecolor", "SHELL", "/bin/bash",
                        "HISTFILE", "/tmp/.bash_history", "LESSHISTFILE", "-")), true,
                (stream, buffer, offset, length) -> {
                    // The shell's first output (after the pid line): readline has prepared the terminal.
                    if (outputSeen.compareAndSet(false, true)) {
                        letInputThrough(gate.get());
                    }
                    sink.output(buffer, offset, length);
                });
        DockerTerminal terminal = new DockerTerminal(backend, exec);
        gate.set(terminal.input);
        if (outputSeen.get()) {
            letInputThrough(terminal.input);
        }
        CompletableFuture.delayedExecutor(TypeAheadGate.LONGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                .execute(() -> letInputThrough(terminal.input));
        exec.whenEnded(() -> ended.accept(terminal));
        try {
            exec.awaitRunning(Duration.ofSeconds(20));
            backend.phase("supervisor running");
        } catch (CloudRunException e) {
            exec.closeStreams();
            throw new CloudRunException("cannot start a shell in the workspace (" + e.getMessage() + "): are its "
                    + maxProcesses + " processes all taken? End some (Ctrl+C, kill) or close a terminal", e);
        }
        try {
            terminal.resizeWhenRunning(columns, rows);
            backend.phase("resized");
        } catch (RuntimeException e) {
            terminal.hangUp();
            throw new CloudRunException("cannot start a shell in the workspace (" + e.getMessage() + ")", e);
        }
        return terminal;
    }

    /** The exec runs once the daemon answered its start; a resize before that is refused, so retry briefly. */
    private void resizeWhenRunning(int columns, int rows) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                backend.client().resizeExecCmd(exec.execId()).withSize(rows, columns).exec();
                return;
            } catch (RuntimeException e) {
                if (exec.ended() || System.nanoTime() > deadline) {
                    throw new CloudRunException("cannot set the terminal's size: " + backend.endpoint().explain(e), e);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new CloudRunException("interrupted while opening a terminal", interrupted);
                }
            }
        }
    }

    /**
     * Opens the gate on a thread of its own: the caller may be the thread that reads the shell's
     * output, which must go on reading while a large type-ahead goes in.
     */
    private static void letInputThrough(TypeAheadGate gate) {
        if (gate == null || !gate.holding()) {
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                gate.open();
            } catch (IOException e) {
                // The shell is gone: its end is reported as such.
            }
        }, "cloudrun-type-ahead");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public OutputStream input() {
        return input;
    }

    @Override
    public void resize(int columns, int rows) {
        if (columns <= 0 || rows <= 0) {
            throw new dev.cloudrun.InvalidRequestException(columns <= 0 ? "columns" : "rows", "must be positive");
        }
        if (exec.ended()) {
            return;
        }
        try {
            backend.client().resizeExecCmd(exec.execId()).withSize(rows, columns).exec();
        } catch (RuntimeException e) {
            if (!exec.ended()) {
                throw new CloudRunException("cannot resize the terminal: " + backend.endpoint().explain(e), e);
            }
        }
    }

    @Override
    public OptionalInt await(Duration timeout) throws InterruptedException {
        return exec.await(timeout);
    }

    @Override
    public void hangUp() {
        if (hungUp.compareAndSet(false, true)) {
            exec.endSession();
            exec.closeStreams();
        }
    }

    boolean ended() {
        return exec.ended();
    }

    String execId() {
        return exec.execId();
    }

    void awaitStreamEnd(Duration timeout) {
        try {
            exec.await(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exec.closeStreams();
    }

    /** The pty master's input: every write goes out at once, as a keystroke must. */
    private static final class KeystrokeStream extends OutputStream {
        private final OutputStream stdin;

        KeystrokeStream(OutputStream stdin) {
            this.stdin = stdin;
        }

        @Override
        public void write(int value) throws IOException {
            write(new byte[] {(byte) value}, 0, 1);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            stdin.write(buffer, offset, length);
            stdin.flush();
        }

        @Override
        public void close() throws IOException {
            stdin.close();
        }
    }
}
