package dev.cloudrun.docker;

import com.github.dockerjava.api.command.InspectExecResponse;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One process started in a workspace container by {@code docker exec}, as user 1000 in
 * {@code /work}, its streams over a hijacked connection of its own (so closing stdin delivers
 * end-of-file). Every exec process is the leader of a new session in the container (runc makes it
 * so, with or without a TTY); the command is wrapped so that its first line of output is its pid
 * in the container, which this class takes off the stream: {@link #signalSession} and
 * {@link #endSession} then reach that session from inside the container, as user 1000, with the
 * shell functions of {@link #SESSION_FUNCTIONS} (no host process ever signals a pid user code could
 * have recycled).
 */
final class WorkspaceExec {
    /**
     * Shell functions (POSIX sh, builtins only in the scan) that signal every process of a session
     * in the container: {@code cloudrun_signal_session SID SIGNAL} (sets {@code _n} to the number
     * of live processes found; signal {@code none} only counts) and {@code cloudrun_end_session SID}
     * (SIGHUP and SIGCONT, up to a second for them to go, then SIGKILL until none is left). The
     * calling shell itself is skipped. A process's name may hold {@code ") "}: the fields are read
     * after the last one.
     */
    static final String SESSION_FUNCTIONS = """
            cloudrun_signal_session() {
              _sid=$1; _sig=$2; _n=0
              for _f in /proc/[0-9]*/stat; do
                _line=
                read -r _line < "$_f" 2>/dev/null || [ -n "$_line" ] || continue
                _p=${_f#/proc/}; _p=${_p%/stat}
                [ "$_p" = "$$" ] && continue
                set -- ${_line##*) }
                [ "$4" = "$_sid" ] || continue
                [ "$1" = Z ] && continue
                _n=$((_n + 1))
                [ "$_sig" = none ] || kill -s "$_sig" "$_p" 2>/dev/null
              done
            }
            cloudrun_end_session() {
              cloudrun_signal_session "$1" HUP; cloudrun_signal_session "$1" CONT
              _i=0
              while [ $_i -lt 10 ]; do
                cloudrun_signal_session "$1" none; [ "$_n" = 0 ] && return 0
                sleep 0.1; _i=$((_i + 1))
              done
              _i=0
              while [ $_i -lt 50 ]; do
                cloudrun_signal_session "$1" KILL; [ "$_n" = 0 ] && return 0
                sleep 0.02; _i=$((_i + 1))
              done
              return 1
            }
            """;

    private final DockerSandboxBackend backend;
    private final String containerId;
    private final String execId;
    private final ContainerAttach streams;
    private final CompletableFuture<Integer> sessionId = new CompletableFuture<>();
    private final CountDownLatch delivered = new CountDownLatch(1);
    private final CompletableFuture<Void> endedFuture = new CompletableFuture<>();
    private final long startedNanos = System.nanoTime();
    private volatile Integer exitCode;
    private volatile String failure;
    /** What came before the pid line (an error of the runtime when the process could not start). */
    private final StringBuilder line = new StringBuilder();

    private WorkspaceExec(DockerSandboxBackend backend, String containerId, String execId, ContainerAttach streams) {
        this.backend = backend;
        this.containerId = containerId;
        this.execId = execId;
        this.streams = streams;
    }

    /**
     * Creates and starts an exec; its output goes to the sink from an I/O thread of the backend.
     *
     * @param backend the backend
     * @param containerId the workspace's container
     * @param script a {@code /bin/sh -c} script; it must print {@code $$} and a newline before anything else
     * @param arguments the script's {@code $1...}
     * @param environment the process's whole environment ({@code NAME=value})
     * @param tty whether it runs on a pseudo-terminal of the container's (then its output is one stream)
     * @param sink receives the output after the pid line, one call at a time per stream
     * @return the started exec
     */
    static WorkspaceExec start(DockerSandboxBackend backend, String containerId, String script, List<String> arguments,
                               List<String> environment, boolean tty, OutputSink sink) {
        DockerBackendOptions options = backend.options();
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", script, "cloudrun-exec"));
        command.addAll(arguments);
        String execId;
        ContainerAttach streams;
        try {
            execId = backend.withinStartTimeout("create an exec in container " + shortId(containerId), null, () ->
                    backend.client().execCreateCmd(containerId)
                            .withUser(options.uid() + ":" + options.gid())
                            .withWorkingDir(DockerSandbox.WORK_DIR)
                            .withEnv(environment)
                            .withTty(tty)
                            .withAttachStdin(true)
                            .withAttachStdout(true)
                            .withAttachStderr(true)
                            .withCmd(command.toArray(String[]::new))
                            .exec().getId());
            backend.phase("exec created");
            streams = backend.withinStartTimeout("start an exec in container " + shortId(containerId), null,
                    () -> ContainerAttach.startExec(backend.endpoint(), execId, tty));
            backend.phase("exec started");
        } catch (CloudRunException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CloudRunException("cannot start a process in workspace container " + shortId(containerId) + ": "
                    + backend.endpoint().explain(e), e);
        }
        WorkspaceExec exec = new WorkspaceExec(backend, containerId, execId, streams);
        OutputSink afterPid = exec.pidLineFilter(sink);
        try {
            backend.ioThreads().execute(() -> exec.pump(tty, afterPid));
        } catch (RuntimeException e) {
            streams.close();
            throw new CloudRunException("the Docker backend is closed", e);
        }
        return exec;
    }

    private OutputSink pidLineFilter(OutputSink sink) {
        return (stream, buffer, offset, length) -> {
            int start = offset;
            int end = offset + length;
            if (!sessionId.isDone() && stream == StreamKind.STDOUT) {
                while (start < end && !sessionId.isDone()) {
                    char c = (char) buffer[start++];
                    if (c == '\n') {
                        try {
                            sessionId.complete(Integer.parseInt(line.toString().strip()));
                        } catch (NumberFormatException e) {
                            sessionId.completeExceptionally(new CloudRunException(line.toString().strip()));
                        }
                    } else if (line.length() < 512) {
                        line.append(c);
                    }
                }
            }
            if (start < end) {
                sink.accept(stream, buffer, start, end - start);
            }
        };
    }

    private void pump(boolean tty, OutputSink sink) {
        try {
            if (tty) {
                streams.pumpRaw(sink);
            } else {
                streams.pumpOutput(sink);
            }
        } catch (IOException | RuntimeException e) {
            if (!streams.isClosed()) {
                failure = "the exec's stream broke: " + DockerProcess.describe(e);
            }
        } finally {
            streams.close();
            String before = line.toString().strip();
            sessionId.completeExceptionally(new CloudRunException(before.isEmpty() ? "it ended at once" : before));
            exitCode = readExitCode();
            delivered.countDown();
            endedFuture.complete(null);
        }
    }

    /** Asks the daemon for the exit code, waiting briefly for it to see the process end. */
    private Integer readExitCode() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                InspectExecResponse state = backend.client().inspectExecCmd(execId).exec();
                if (!Boolean.TRUE.equals(state.isRunning()) && state.getExitCodeLong() != null) {
                    return state.getExitCodeLong().intValue();
                }
            } catch (RuntimeException e) {
                // Container gone (closed under it): no code to give.
                return null;
            }
            if (System.nanoTime() > deadline) {
                return null;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /**
     * Waits until the process reported its pid, that is, until it runs.
     *
     * @param timeout how long at most
     * @throws CloudRunException if it could not start (the runtime's message, when it gave one) or did not report in time
     */
    void awaitRunning(Duration timeout) {
        try {
            sessionId.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new CloudRunException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new CloudRunException("it did not start within " + timeout.toSeconds() + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while starting it", e);
        }
    }

    /** @return the exec's stdin; closing it delivers end-of-file */
    OutputStream stdin() {
        return streams.stdin();
    }

    /** @return the daemon's id of the exec instance */
    String execId() {
        return execId;
    }

    /** @return nanoTime when it was started */
    long startedNanos() {
        return startedNanos;
    }

    /**
     * Waits for the exec to end and its output to be delivered.
     *
     * @param timeout how long at most
     * @return the exit code (128 + N after signal N), or empty if still running or the daemon could not tell
     */
    OptionalInt await(Duration timeout) throws InterruptedException {
        if (!delivered.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return OptionalInt.empty();
        }
        Integer code = exitCode;
        return code == null ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** @return whether its stream ended and its exit code was asked for */
    boolean ended() {
        return delivered.getCount() == 0;
    }

    /** @param action what to do once the exec ended (at once if it has) */
    void whenEnded(Runnable action) {
        endedFuture.thenRun(action);
    }

    /** @return a failure of the stream itself, or null */
    String failure() {
        return failure;
    }

    /**
     * Sends a signal to every process of the exec's session, from inside the container.
     *
     * @param signal a signal name such as {@code INT}
     */
    void signalSession(String signal) {
        runSessionFunction("cloudrun_signal_session \"$1\" \"$2\"", signal);
    }

    /** Ends the exec's session: SIGHUP, a second's grace, SIGKILL for what is left. Idempotent. */
    void endSession() {
        runSessionFunction("cloudrun_end_session \"$1\"", "");
    }

    private void runSessionFunction(String call, String signal) {
        int sid;
        try {
            sid = sessionId.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // It never reported its pid: it ended at once, or never started; closing the stream is all there is.
            streams.close();
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (ended() && signal.isEmpty()) {
            return;
        }
        try {
            WorkspaceExec killer = start(backend, containerId, "echo $$\n" + SESSION_FUNCTIONS + call,
                    List.of(Integer.toString(sid), signal), List.of("PATH=/usr/local/bin:/usr/bin:/bin"), false,
                    (stream, buffer, offset, length) -> { });
            killer.stdin().close();
            killer.await(Duration.ofSeconds(15));
        } catch (IOException | RuntimeException e) {
            // The container is gone or going: its processes with it.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Drops the connection (the process may live on: end its session first). */
    void closeStreams() {
        streams.close();
    }

    static String shortId(String id) {
        return id.substring(0, Math.min(12, id.length()));
    }
}
