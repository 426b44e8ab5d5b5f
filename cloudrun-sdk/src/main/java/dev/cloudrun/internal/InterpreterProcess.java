package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One interpreter process of a {@link StatefulInterpreter}: a run of the workspace with interactive
 * stdin, a random nonce sent as its first line, the two streams' {@link MarkerScanner}s, and the
 * {@link InterpreterCell}s its output and markers belong to, in order. It is this run's listener.
 */
final class InterpreterProcess implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(InterpreterProcess.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** How long a killed process may take to be gone. */
    private static final Duration END_PATIENCE = Duration.ofSeconds(20);

    private final String nonce;
    private final MarkerScanner stdout;
    private final MarkerScanner stderr;
    /** Cell 0 is the start-up: its markers say the driver is ready. */
    private final InterpreterCell startup;
    private InterpreterCell outCell;
    private InterpreterCell errCell;
    /** The last cell handed out. */
    private volatile InterpreterCell last;
    private volatile String broken;
    private volatile Execution execution;
    private final CompletableFuture<RunResult> ended = new CompletableFuture<>();

    /** @param cellOutputBytes each cell's output cap */
    InterpreterProcess(long cellOutputBytes) {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        this.nonce = HexFormat.of().formatHex(random);
        this.stdout = new MarkerScanner(nonce, new Stream(StreamKind.STDOUT));
        this.stderr = new MarkerScanner(nonce, new Stream(StreamKind.STDERR));
        this.startup = new InterpreterCell(0, cellOutputBytes);
        this.outCell = startup;
        this.errCell = startup;
        this.last = startup;
    }

    /**
     * Starts the run and sends the nonce.
     *
     * @param starter starts a run of the workspace
     * @param request the driver's run, with interactive stdin
     */
    void start(BiFunction<RunRequest, RunListener, Execution> starter, RunRequest request) {
        Execution started = starter.apply(request, this);
        execution = started;
        started.result().whenComplete((result, failure) -> end(result != null ? result
                : RunResult.builder(Status.INTERNAL_ERROR).message(String.valueOf(failure)).build()));
        try {
            started.writeStdin((nonce + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalStateException e) {
            LOG.debug("the interpreter ended before its nonce was sent: {}", e.toString());
        }
    }

    /** @return the start-up cell, whose end means the driver is ready (a report) or never will be */
    InterpreterCell startup() {
        return startup;
    }

    /**
     * @param listener told the cell's output
     * @return the next cell, begun
     */
    InterpreterCell nextCell(RunListener listener) {
        InterpreterCell cell = last.successor();
        last = cell;
        cell.begin(listener);
        return cell;
    }

    /**
     * @param seq the cell's number
     * @param code its UTF-8 source
     */
    void send(long seq, byte[] code) {
        byte[] header = (seq + " " + code.length + "\n").getBytes(StandardCharsets.US_ASCII);
        try {
            execution.writeStdin(header);
            execution.writeStdin(code);
        } catch (IllegalStateException | CloudRunException e) {
            // It ended meanwhile: the cell ends with the process, as a crash.
            LOG.debug("the interpreter's stdin is closed: {}", e.toString());
        }
    }

    /** @return how the markers broke, or null while they hold */
    String broken() {
        return broken;
    }

    boolean isOver() {
        return ended.isDone();
    }

    /** @return how its run ended, or null while it goes on */
    RunResult endedWith() {
        return ended.getNow(null);
    }

    /** Cancels the run and waits until it has ended, so no cell goes to a dying process. */
    void kill() {
        Execution now = execution;
        if (now != null) {
            now.cancel();
            awaitEnd();
        }
    }

    /** @return how the run ended, once it has */
    RunResult awaitEnd() {
        try {
            return ended.get(END_PATIENCE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting for the interpreter to end", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new CloudRunException("the interpreter did not end within " + END_PATIENCE.toSeconds() + " s", e);
        }
    }

    @Override
    public synchronized void onOutput(StreamKind kind, byte[] chunk) {
        if (kind == StreamKind.STDOUT) {
            stdout.feed(chunk);
        } else if (kind == StreamKind.STDERR) {
            stderr.feed(chunk);
        }
    }

    private synchronized void end(RunResult result) {
        stdout.finish();
        stderr.finish();
        ended.complete(result);
        // Whatever cell waits, waits no more: the process is gone.
        outCell.finish();
        errCell.finish();
        last.finish();
    }

    /** Routes one stream's output and markers to the cell they belong to. */
    private final class Stream implements MarkerScanner.Receiver {
        private final StreamKind kind;

        Stream(StreamKind kind) {
            this.kind = kind;
        }

        @Override
        public void output(byte[] data) {
            (kind == StreamKind.STDOUT ? outCell : errCell).append(kind, data);
        }

        @Override
        public void marker(long seq, byte[] payload) {
            InterpreterCell cell = kind == StreamKind.STDOUT ? outCell : errCell;
            if (seq != cell.seq()) {
                // Not the cell whose end this stream waits for: printed by user code, ignored.
                return;
            }
            cell.marked(kind, payload);
            if (kind == StreamKind.STDOUT) {
                outCell = cell.successor();
            } else {
                errCell = cell.successor();
            }
        }

        @Override
        public void broken(String why) {
            broken = why;
            outCell.finish();
            errCell.finish();
        }
    }
}
