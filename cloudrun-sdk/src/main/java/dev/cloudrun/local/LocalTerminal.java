package dev.cloudrun.local;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.TypeAheadGate;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A shell under bubblewrap on a pseudo-terminal made for it (JetBrains' pty4j): the JVM holds the
 * master, the slave is the controlling terminal of the new session the sandbox runs in, and
 * nothing else. Resizing sets the master's window size, which the kernel tells the sandbox with
 * SIGWINCH. Keystrokes typed before the sandbox's {@code script} has made that terminal raw are
 * held back ({@link TypeAheadGate}) and go in once it has. Hanging up sends SIGHUP to the session and
 * then kills everything left in the terminal's cgroup, processes that ignore SIGHUP included.
 */
final class LocalTerminal implements TerminalProcess {
    /** How long a hung-up shell may take to end before what is left is killed. */
    private static final long HANG_UP_GRACE_MILLIS = 500;
    /** After the shell exits, how long its output may take to drain before the master is closed. */
    private static final long DRAIN_MILLIS = 2000;

    private final PtyProcess process;
    private final TypeAheadGate input;
    private final Cgroup cgroup;
    private final Runnable onEnded;
    private final CountDownLatch reader = new CountDownLatch(1);
    private boolean ended;
    private Integer status;

    private LocalTerminal(PtyProcess process, Cgroup cgroup, Runnable onEnded) {
        this.process = process;
        this.input = new TypeAheadGate(process.getOutputStream());
        this.cgroup = cgroup;
        this.onEnded = onEnded;
    }

    /**
     * @param command the command that joins the cgroup, sets limits and enters bubblewrap
     * @param directory where it starts (the sandbox's host folder)
     * @param onEnded told once, when the shell has ended and everything left of it was killed
     */
    static LocalTerminal start(List<String> command, Path directory, int columns, int rows, Cgroup cgroup,
                               TerminalSink sink, ExecutorService io, Runnable onEnded) throws IOException {
        PtyProcess process = new PtyProcessBuilder(command.toArray(String[]::new))
                // Nothing of the JVM's environment: bubblewrap sets the shell's own (--clearenv, --setenv).
                .setEnvironment(Map.of())
                .setDirectory(directory.toString())
                .setInitialColumns(columns)
                .setInitialRows(rows)
                .setRedirectErrorStream(true)
                .setConsole(false)
                .start();
        LocalTerminal terminal = new LocalTerminal(process, cgroup, onEnded);
        try {
            io.execute(() -> terminal.pump(process.getInputStream(), sink, io));
            java.util.concurrent.CompletableFuture.delayedExecutor(TypeAheadGate.LONGEST_WAIT.toMillis(), TimeUnit.MILLISECONDS, io)
                    .execute(terminal::letInputThrough);
        } catch (RuntimeException e) {
            terminal.hangUp();
            throw e;
        }
        return terminal;
    }

    private void pump(InputStream in, TerminalSink sink, ExecutorService io) {
        byte[] buffer = new byte[16 * 1024];
        try (in) {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                if (read > 0) {
                    if (input.holding()) {
                        try {
                            // On another thread: this one must go on reading, or a large type-ahead and
                            // the shell's output could each wait for the other.
                            io.execute(this::letInputThrough);
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            letInputThrough();
                        }
                    }
                    sink.output(buffer, 0, read);
                }
            }
        } catch (IOException e) {
            // EIO once the last holder of the slave is gone: the shell is over.
        } finally {
            reader.countDown();
        }
    }

    private void letInputThrough() {
        try {
            input.open();
        } catch (IOException e) {
            // The shell is gone: its end is reported as such.
        }
    }

    @Override
    public OutputStream input() {
        return input;
    }

    @Override
    public void resize(int columns, int rows) {
        try {
            process.setWinSize(new WinSize(columns, rows));
        } catch (RuntimeException e) {
            if (process.isAlive()) {
                throw new CloudRunException("cannot resize the terminal: " + e.getMessage(), e);
            }
        }
    }

    @Override
    public OptionalInt await(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            if (status != null) {
                return OptionalInt.of(status);
            }
        }
        if (!process.waitFor(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS)) {
            return OptionalInt.empty();
        }
        long drain = Math.min(Math.max(0, deadline - System.nanoTime()), TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS));
        if (!reader.await(drain, TimeUnit.NANOSECONDS) && System.nanoTime() < deadline) {
            // Output not drained in time: something still holds the slave. The end kills it.
            end();
            reader.await(1, TimeUnit.SECONDS);
        }
        int exit = process.exitValue();
        end();
        synchronized (this) {
            status = exit;
            return OptionalInt.of(exit);
        }
    }

    @Override
    public void hangUp() {
        synchronized (this) {
            if (ended) {
                return;
            }
        }
        if (process.isAlive()) {
            try {
                // Closing the master hangs the terminal up: SIGHUP to its session's foreground.
                input.close();
            } catch (IOException e) {
                // Already closed.
            }
            if (process instanceof com.pty4j.unix.UnixPtyProcess unix) {
                unix.hangup();
            }
            try {
                process.waitFor(HANG_UP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        end();
    }

    /** Kills what is left of the terminal (through its cgroup), then tells the owner. Idempotent. */
    private void end() {
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
        }
        if (cgroup != null) {
            cgroup.killAll();
        }
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onEnded.run();
    }

    /** @return the host pid of the command that enters the sandbox */
    long pid() {
        return process.pid();
    }
}
