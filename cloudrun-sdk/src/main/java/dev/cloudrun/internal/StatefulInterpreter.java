package dev.cloudrun.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.CellResult;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.Execution;
import dev.cloudrun.Interpreter;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A workspace's {@link Interpreter}: one long-lived run of the workspace at a time, started through
 * {@link dev.cloudrun.Workspace#startFromTree} with interactive stdin, that runs the SDK's driver for
 * the language (a resource beside this class). Cells go to it framed on stdin; the end of each is a
 * marker on stdout and on stderr carrying a random nonce of the run's ({@link MarkerScanner}). The
 * host keeps each cell's time limit and output cap and kills the run when one is passed; a run that
 * ends for any reason is replaced by a fresh one at the next cell.
 *
 * <p>The run's limits are the runner's largest (wall and CPU time, output, file size), with memory
 * and processes held by the workspace's own: so the interpreter lives for at most the ceiling's
 * wall-clock time. While it lives it counts as a run of the workspace (and takes one of the runner's
 * slots), so the workspace's idle clock stands still meanwhile.
 */
public final class StatefulInterpreter implements Interpreter {
    private static final Logger LOG = LoggerFactory.getLogger(StatefulInterpreter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The drivers this SDK ships, by the name a language descriptor's {@code interpreter} attribute gives. */
    private static final Map<String, String> DRIVERS = Map.of("python", "python-interpreter.py");
    /** Where the driver's text travels: the environment, which the driver removes at once. */
    private static final String DRIVER_VARIABLE = "CLOUDRUN_INTERPRETER";
    private static final List<String> PYTHON_COMMAND = List.of("python3", "-u", "-c",
            "import os;exec(compile(os.environ.pop('" + DRIVER_VARIABLE + "'),'<cloudrun-interpreter>','exec'))");
    /** The run's main file name: never written, the command holds the driver (nothing lands in the tree). */
    private static final String MAIN_FILE = ".cloudrun-interpreter.py";
    /** How long a fresh interpreter may take to be ready (its slot in the runner's queue included). */
    static final Duration STARTUP_PATIENCE = Duration.ofSeconds(60);
    /** How long a killed interpreter may take to be gone. */
    private static final Duration END_PATIENCE = Duration.ofSeconds(20);

    private final BiFunction<RunRequest, RunListener, Execution> starter;
    private final Language language;
    private final String driver;
    private final Limits processLimits;
    private final long cellOutputBytes;

    /** The process now, or null before the first cell (replaced under this object's lock). */
    private volatile Process process;
    /** Why the last process ended, for the next cell's message; null while none has ended. */
    private String endedWhy;
    private volatile boolean closed;

    /**
     * @param starter starts a run of the workspace's tree ({@link dev.cloudrun.Workspace#startFromTree})
     * @param language a language whose descriptor names a driver ({@link #driverOf})
     * @param defaults the runner's default limits (a cell's output cap is their output limit)
     * @param ceiling the runner's largest limits (the process's lifetime and totals)
     */
    public StatefulInterpreter(BiFunction<RunRequest, RunListener, Execution> starter, Language language,
                               Limits defaults, Limits ceiling) {
        this.starter = starter;
        this.language = language;
        this.driver = loadDriver(driverOf(language));
        this.processLimits = defaults.withWallTime(ceiling.wallTime()).withCpuTime(ceiling.cpuTime())
                .withMemoryBytes(ceiling.memoryBytes()).withMaxProcesses(ceiling.maxProcesses())
                .withMaxOutputBytes(ceiling.maxOutputBytes()).withMaxFileSizeBytes(ceiling.maxFileSizeBytes());
        this.cellOutputBytes = defaults.maxOutputBytes();
    }

    /**
     * @param language a language
     * @return the name of its interpreter's driver
     * @throws InvalidRequestException naming {@code language} when it has none this SDK ships
     */
    public static String driverOf(Language language) {
        String name = language.attribute("interpreter").orElseThrow(() -> new InvalidRequestException("language",
                language.id() + " has no stateful interpreter; languages with one: python"));
        if (!DRIVERS.containsKey(name)) {
            throw new InvalidRequestException("language", language.id() + " names the interpreter driver '" + name
                    + "', which this SDK does not have (it has: " + String.join(", ", DRIVERS.keySet()) + ")");
        }
        return name;
    }

    private static String loadDriver(String name) {
        try (InputStream in = StatefulInterpreter.class.getResourceAsStream(DRIVERS.get(name))) {
            if (in == null) {
                throw new CloudRunException("the SDK's interpreter driver " + DRIVERS.get(name) + " is missing from its jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String language() {
        return language.id();
    }

    @Override
    public boolean isAlive() {
        Process now = process;
        return now != null && !now.isOver();
    }

    @Override
    public synchronized CellResult execute(String code, Duration timeLimit, RunListener listener) {
        byte[] source = checkedCode(code);
        Objects.requireNonNull(timeLimit, "timeLimit");
        if (timeLimit.isZero() || timeLimit.isNegative()) {
            throw new InvalidRequestException("timeLimit", "must be positive, was " + timeLimit);
        }
        if (timeLimit.compareTo(processLimits.wallTime()) > 0) {
            throw new InvalidRequestException("timeLimit", "must be at most the interpreter's lifetime of "
                    + processLimits.wallTime() + ", was " + timeLimit);
        }
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        boolean restarted = false;
        String restartNote = "";
        Process running = process;
        if (running != null && running.isOver()) {
            String why = endedWhy != null ? endedWhy : "it ended between cells: " + running.endMessage();
            restartNote = " It ran in a fresh interpreter: the previous one ended (" + why + ").";
            restarted = true;
            running = null;
        }
        endedWhy = null;
        if (running == null) {
            running = new Process();
            process = running;
            checkOpen();
            running.start();
            Optional<CellResult> failed = running.awaitReady(restarted);
            if (failed.isPresent()) {
                endedWhy = "it did not start";
                return failed.get();
            }
        }
        Cell cell = running.nextCell(listener);
        long cellNanos = System.nanoTime();
        running.send(cell.seq, source);
        boolean inTime = cell.awaitEnd(timeLimit);
        Duration wallTime = Duration.ofNanos(System.nanoTime() - cellNanos);
        CellResult result;
        if (closed) {
            running.kill();
            result = cell.ended(Status.CANCELLED, -1, 0, restarted, wallTime, "the interpreter was closed during the cell");
        } else if (!inTime) {
            running.kill();
            endedWhy = "a cell ran past its time limit of " + timeLimit.toMillis() + " ms";
            result = cell.ended(Status.TIME_LIMIT, -1, 0, restarted, wallTime, "the cell ran past its time limit of "
                    + timeLimit.toMillis() + " ms: the interpreter was stopped and its state is lost." + restartNote);
        } else if (cell.overLimit) {
            running.kill();
            endedWhy = "a cell wrote more than " + cellOutputBytes + " bytes";
            result = cell.ended(Status.OUTPUT_LIMIT, -1, 0, restarted, wallTime, "the cell wrote more than "
                    + cellOutputBytes + " bytes of output: the interpreter was stopped and its state is lost." + restartNote);
        } else if (cell.report != null) {
            result = reported(cell, restarted, wallTime, restartNote);
        } else if (running.broken != null) {
            running.kill();
            endedWhy = "a cell's output broke its markers";
            result = cell.ended(Status.RUNTIME_ERROR, -1, 0, restarted, wallTime, "the cell's output broke the interpreter's"
                    + " end-of-cell markers (" + running.broken + "): the interpreter was stopped and its state is lost." + restartNote);
        } else {
            RunResult ended = running.awaitEnd();
            endedWhy = running.endMessage();
            result = crashed(cell, ended, restarted, wallTime, restartNote);
        }
        return result;
    }

    private CellResult reported(Cell cell, boolean restarted, Duration wallTime, String restartNote) {
        JsonNode report;
        try {
            report = JSON.readTree(cell.report);
        } catch (IOException e) {
            report = JSON.createObjectNode();
        }
        String kind = report.path("status").asText("");
        String error = report.path("error").asText(null);
        int exitCode = report.path("exitCode").asInt(-1);
        Optional<String> value = Optional.ofNullable(report.path("value").asText(null));
        Status status;
        String message;
        switch (kind) {
            case "ok" -> {
                status = Status.OK;
                message = "the cell ran";
            }
            case "exit" -> {
                status = Status.RUNTIME_ERROR;
                message = "the cell called sys.exit(" + exitCode + "); the interpreter and its state stay";
            }
            case "error" -> {
                status = "MemoryError".equals(error) ? Status.MEMORY_LIMIT : Status.RUNTIME_ERROR;
                message = ("SyntaxError".equals(error) || "IndentationError".equals(error) || "TabError".equals(error)
                        ? "the cell has a " + error + " and did not run" : "the cell raised " + error)
                        + " (the traceback is on its stderr); the interpreter and its state stay";
            }
            default -> {
                status = Status.RUNTIME_ERROR;
                error = null;
                value = Optional.empty();
                message = "the cell's end-of-cell report was unreadable (did the cell print a marker?)";
            }
        }
        return cell.result(status, value, Optional.ofNullable(error), exitCode, 0, restarted, false, wallTime,
                message + "." + restartNote);
    }

    private CellResult crashed(Cell cell, RunResult ended, boolean restarted, Duration wallTime, String restartNote) {
        Status status = switch (ended.status()) {
            case MEMORY_LIMIT, TIME_LIMIT, OUTPUT_LIMIT, CANCELLED, INTERNAL_ERROR -> ended.status();
            default -> Status.RUNTIME_ERROR;
        };
        return cell.ended(status, ended.exitCode(), ended.signal().orElse(0), restarted, wallTime,
                "the interpreter ended during the cell (" + describe(ended) + "): its state is lost and the next cell"
                        + " starts a fresh one." + restartNote);
    }

    private static String describe(RunResult ended) {
        String what = ended.message().isBlank() ? ended.status().name() : ended.message();
        if (ended.status() == Status.OK || ended.status() == Status.RUNTIME_ERROR) {
            what = ended.signal().map(signal -> "killed by signal " + signal)
                    .orElse("exited with code " + ended.exitCode());
        }
        return what;
    }

    @Override
    public void close() {
        closed = true;
        Process now = process;
        if (now != null) {
            now.kill();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new CloudRunException("the interpreter is closed");
        }
    }

    private static byte[] checkedCode(String code) {
        if (code == null) {
            throw new InvalidRequestException("code", "is required");
        }
        java.nio.ByteBuffer encoded;
        try {
            encoded = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(java.nio.CharBuffer.wrap(code));
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("code", "is not valid Unicode (it holds a lone surrogate)");
        }
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        if (bytes.length > MAX_CODE_BYTES) {
            throw new InvalidRequestException("code", "must be at most " + MAX_CODE_BYTES + " bytes of UTF-8, was " + bytes.length);
        }
        return bytes;
    }

    /** One interpreter process: its run, its two streams' scanners, and its cells in order. */
    private final class Process implements RunListener {
        private final String nonce = HexFormat.of().formatHex(randomBytes());
        private final MarkerScanner stdout = new MarkerScanner(nonce, new Stream(StreamKind.STDOUT));
        private final MarkerScanner stderr = new MarkerScanner(nonce, new Stream(StreamKind.STDERR));
        /** Cell 0 is the start-up: its markers say the driver is ready. */
        private final Cell startup = new Cell(0, cellOutputBytes);
        private Cell outCell = startup;
        private Cell errCell = startup;
        /** The last cell handed out (guarded by the interpreter's lock). */
        private volatile Cell last = startup;
        private volatile String broken;
        private volatile Execution execution;
        private final CompletableFuture<RunResult> ended = new CompletableFuture<>();

        void start() {
            RunRequest request = RunRequest.of(language.id(), driver)
                    .withMainFileName(MAIN_FILE)
                    .withRunCommand(PYTHON_COMMAND)
                    .withEnv(DRIVER_VARIABLE, driver)
                    .withInteractiveStdin()
                    .withLimits(processLimits);
            Execution started = starter.apply(request, this);
            execution = started;
            started.writeStdin((nonce + "\n").getBytes(StandardCharsets.US_ASCII));
            started.result().whenComplete((result, failure) -> end(result != null ? result
                    : RunResult.builder(Status.INTERNAL_ERROR).message(String.valueOf(failure)).build()));
        }

        /** @return empty when ready, else the first cell's result saying why it did not start */
        Optional<CellResult> awaitReady(boolean restarted) {
            boolean ready = startup.awaitEnd(STARTUP_PATIENCE);
            if (ready && startup.report != null) {
                return Optional.empty();
            }
            String why;
            Status status;
            RunResult result;
            if (!ready) {
                kill();
                result = awaitEnd();
                status = Status.INTERNAL_ERROR;
                why = "the interpreter was not ready within " + STARTUP_PATIENCE.toSeconds() + " s";
            } else {
                if (broken != null) {
                    kill();
                }
                result = awaitEnd();
                status = result.status() == Status.CANCELLED ? Status.CANCELLED : Status.INTERNAL_ERROR;
                why = "the interpreter did not start (" + describe(result) + ")";
            }
            return Optional.of(startup.ended(status, result.exitCode(), result.signal().orElse(0), restarted,
                    Duration.ZERO, why + "; its output: " + startup.stderrText().strip()));
        }

        Cell nextCell(RunListener listener) {
            Cell cell = last.successor();
            last = cell;
            cell.begin(listener);
            return cell;
        }

        void send(long seq, byte[] code) {
            byte[] header = (seq + " " + code.length + "\n").getBytes(StandardCharsets.US_ASCII);
            try {
                execution.writeStdin(header);
                execution.writeStdin(code);
            } catch (IllegalStateException | CloudRunException e) {
                // It ended meanwhile: the cell ends with the process, as a crash.
                LOG.debug("interpreter stdin is closed: {}", e.toString());
            }
        }

        boolean isOver() {
            return ended.isDone();
        }

        String endMessage() {
            return ended.isDone() ? describe(ended.join()) : "it is still running";
        }

        /** Cancels the run and waits until it has ended, so no cell goes to a dying process. */
        void kill() {
            Execution now = execution;
            if (now != null) {
                now.cancel();
                awaitEnd();
            }
        }

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
            // Whatever cell waits, waits no more: the interpreter is gone.
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
                Cell cell = kind == StreamKind.STDOUT ? outCell : errCell;
                if (seq != cell.seq) {
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

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * One cell's output and end. Output that comes before the cell begins (from a thread or process
     * an earlier cell left) waits in it and is told to the listener when it begins.
     */
    private static final class Cell {
        private final long seq;
        private final long outputCap;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Utf8ChunkDecoder outText = new Utf8ChunkDecoder();
        private final Utf8ChunkDecoder errText = new Utf8ChunkDecoder();
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private RunListener listener;
        private boolean outMarked;
        private boolean errMarked;
        private volatile byte[] report;
        private volatile boolean overLimit;
        private Cell successor;

        Cell(long seq, long outputCap) {
            this.seq = seq;
            this.outputCap = outputCap;
        }

        synchronized Cell successor() {
            if (successor == null) {
                successor = new Cell(seq + 1, outputCap);
            }
            return successor;
        }

        synchronized void begin(RunListener cellListener) {
            listener = cellListener;
            if (out.size() > 0) {
                tell(StreamKind.STDOUT, out.toByteArray());
            }
            if (err.size() > 0) {
                tell(StreamKind.STDERR, err.toByteArray());
            }
        }

        synchronized void append(StreamKind kind, byte[] data) {
            if (overLimit || done.isDone()) {
                return;
            }
            long room = outputCap - out.size() - err.size();
            byte[] kept = data;
            if (data.length > room) {
                kept = java.util.Arrays.copyOf(data, (int) Math.max(0, room));
                overLimit = true;
            }
            (kind == StreamKind.STDOUT ? out : err).writeBytes(kept);
            if (listener != null && kept.length > 0) {
                tell(kind, kept);
            }
            if (overLimit) {
                done.complete(null);
            }
        }

        synchronized void marked(StreamKind kind, byte[] payload) {
            if (kind == StreamKind.STDOUT) {
                outMarked = true;
                report = payload;
            } else {
                errMarked = true;
            }
            if (outMarked && errMarked) {
                done.complete(null);
            }
        }

        void finish() {
            done.complete(null);
        }

        /** @return whether the cell ended (or its process did) within the time */
        boolean awaitEnd(Duration timeout) {
            try {
                done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
                return true;
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CloudRunException("interrupted while a cell ran", e);
            } catch (ExecutionException e) {
                throw new CloudRunException("a cell failed", e.getCause());
            }
        }

        synchronized String stderrText() {
            return err.toString(StandardCharsets.UTF_8);
        }

        /** A result for a cell whose process ended with it. */
        CellResult ended(Status status, int exitCode, int signal, boolean restarted, Duration wallTime, String message) {
            return result(status, Optional.empty(), Optional.empty(), exitCode, signal, restarted, true, wallTime, message);
        }

        synchronized CellResult result(Status status, Optional<String> value, Optional<String> error, int exitCode, int signal,
                                       boolean restarted, boolean interpreterEnded, Duration wallTime, String message) {
            // Later output is no longer this cell's; characters held back by the decoders are told now.
            done.complete(null);
            flushText();
            listener = null;
            return new CellResult(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    value, error, exitCode, signal, restarted, interpreterEnded, wallTime, message);
        }

        private void flushText() {
            if (listener == null) {
                return;
            }
            String restOut = outText.finish();
            String restErr = errText.finish();
            try {
                if (!restOut.isEmpty()) {
                    listener.onText(StreamKind.STDOUT, restOut);
                }
                if (!restErr.isEmpty()) {
                    listener.onText(StreamKind.STDERR, restErr);
                }
            } catch (RuntimeException e) {
                LOG.warn("a cell's listener failed: {}", e.toString());
            }
        }

        private void tell(StreamKind kind, byte[] data) {
            try {
                listener.onOutput(kind, data.clone());
                String text = (kind == StreamKind.STDOUT ? outText : errText).decode(data, 0, data.length);
                if (!text.isEmpty()) {
                    listener.onText(kind, text);
                }
            } catch (RuntimeException e) {
                LOG.warn("a cell's listener failed: {}", e.toString());
            }
        }
    }
}
