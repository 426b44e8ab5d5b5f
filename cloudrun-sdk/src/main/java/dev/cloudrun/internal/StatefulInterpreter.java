package dev.cloudrun.internal;

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
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A workspace's {@link Interpreter}: one {@link InterpreterProcess} at a time, a long-lived run of
 * the workspace started through {@link dev.cloudrun.Workspace#startFromTree} with interactive stdin
 * that runs the SDK's driver for the language (a resource beside this class). Cells go to it framed
 * on stdin; the end of each is a marker on stdout and on stderr carrying a random nonce of the
 * process's ({@link MarkerScanner}). The host keeps each cell's time limit and output cap and kills
 * the process when one is passed; {@link CellOutcomes} decides the status. A process that ended for
 * any reason is replaced by a fresh one at the next cell, which says so.
 *
 * <p>The run's limits are the runner's largest (wall and CPU time, output, file size), with memory and
 * processes held by the workspace's own: so a process lives for at most the ceiling's wall-clock time.
 * While it lives it counts as a run of the workspace and takes one of the runner's slots.
 */
public final class StatefulInterpreter implements Interpreter {
    /** The drivers this SDK ships, by the name a language descriptor's {@code interpreter} attribute gives. */
    private static final Map<String, String> DRIVERS = Map.of("python", "python-interpreter.py");
    /** Where the driver's text travels: the environment, which the driver removes at once. */
    private static final String DRIVER_VARIABLE = "CLOUDRUN_INTERPRETER";
    private static final List<String> PYTHON_COMMAND = List.of("python3", "-u", "-c",
            "import os;exec(compile(os.environ.pop('" + DRIVER_VARIABLE + "'),'<cloudrun-interpreter>','exec'))");
    /** The run's main file name: never written, as the command holds the driver (nothing lands in the tree). */
    private static final String MAIN_FILE = ".cloudrun-interpreter.py";
    /** How long a fresh process may take to be ready, its wait for a slot in the runner's queue included. */
    static final Duration STARTUP_PATIENCE = Duration.ofSeconds(60);

    private final BiFunction<RunRequest, RunListener, Execution> starter;
    private final Language language;
    private final RunRequest processRequest;
    private final Limits processLimits;
    private final long cellOutputBytes;

    /** The process now, or null before the first cell (replaced under this object's lock). */
    private volatile InterpreterProcess process;
    /** Why the last process ended, when a cell saw it end; null otherwise. */
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
        this.processLimits = defaults.withWallTime(ceiling.wallTime()).withCpuTime(ceiling.cpuTime())
                .withMemoryBytes(ceiling.memoryBytes()).withMaxProcesses(ceiling.maxProcesses())
                .withMaxOutputBytes(ceiling.maxOutputBytes()).withMaxFileSizeBytes(ceiling.maxFileSizeBytes());
        this.cellOutputBytes = defaults.maxOutputBytes();
        String driver = loadDriver(driverOf(language));
        this.processRequest = RunRequest.of(language.id(), driver)
                .withMainFileName(MAIN_FILE)
                .withRunCommand(PYTHON_COMMAND)
                .withEnv(DRIVER_VARIABLE, driver)
                .withInteractiveStdin()
                .withLimits(processLimits);
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
        InterpreterProcess now = process;
        return now != null && !now.isOver();
    }

    @Override
    public synchronized CellResult execute(String code, Duration timeLimit, RunListener listener) {
        byte[] source = checkedCode(code);
        checkTimeLimit(timeLimit);
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        boolean restarted = false;
        String restartNote = "";
        InterpreterProcess running = process;
        if (running != null && running.isOver()) {
            String why = endedWhy != null ? endedWhy : "it ended between cells: " + CellOutcomes.describe(running.endedWith());
            restartNote = " It ran in a fresh interpreter: the previous one ended (" + why + ").";
            restarted = true;
            running = null;
        }
        endedWhy = null;
        if (running == null) {
            InterpreterProcess fresh = new InterpreterProcess(cellOutputBytes);
            fresh.start(starter, processRequest);
            process = fresh;
            running = fresh;
            CellResult failed = awaitReady(fresh, restarted);
            if (failed != null) {
                endedWhy = "it did not start";
                return failed;
            }
        }
        InterpreterCell cell = running.nextCell(listener);
        long cellStart = System.nanoTime();
        running.send(cell.seq(), source);
        boolean inTime = cell.awaitEnd(timeLimit);
        Duration wallTime = Duration.ofNanos(System.nanoTime() - cellStart);
        CellOutcomes.HostStop stop = closed ? CellOutcomes.HostStop.CLOSED
                : !inTime ? CellOutcomes.HostStop.TIME_LIMIT
                : cell.overLimit() ? CellOutcomes.HostStop.OUTPUT_LIMIT
                : cell.report() == null && running.broken() != null ? CellOutcomes.HostStop.BROKEN_MARKERS
                : CellOutcomes.HostStop.NONE;
        if (stop != CellOutcomes.HostStop.NONE) {
            running.kill();
        }
        byte[] report = stop == CellOutcomes.HostStop.NONE ? cell.report() : null;
        RunResult ended = report == null ? running.awaitEnd() : null;
        CellOutcomes.Outcome outcome = CellOutcomes.decide(stop, timeLimit, cellOutputBytes, running.broken(), report, ended);
        if (outcome.interpreterEnded()) {
            endedWhy = outcome.cause();
        }
        return result(cell, outcome, restarted, wallTime, restartNote);
    }

    /** @return null when the fresh process is ready, else the first cell's result saying why not */
    private CellResult awaitReady(InterpreterProcess fresh, boolean restarted) {
        InterpreterCell startup = fresh.startup();
        boolean ready = startup.awaitEnd(STARTUP_PATIENCE);
        if (ready && startup.report() != null) {
            return null;
        }
        String why;
        if (!ready || fresh.broken() != null) {
            fresh.kill();
            why = ready ? "the interpreter's start-up output broke its markers (" + fresh.broken() + ")"
                    : "the interpreter was not ready within " + STARTUP_PATIENCE.toSeconds() + " s";
        } else {
            why = "the interpreter did not start (" + CellOutcomes.describe(fresh.awaitEnd()) + ")";
        }
        RunResult ended = fresh.awaitEnd();
        Status status = ended.status() == Status.CANCELLED && closed ? Status.CANCELLED : Status.INTERNAL_ERROR;
        String output = startup.stderrText().strip();
        CellOutcomes.Outcome outcome = new CellOutcomes.Outcome(status, java.util.Optional.empty(), java.util.Optional.empty(),
                ended.exitCode(), ended.signal().orElse(0), true, "it did not start", why + (output.isEmpty() ? "." : "; it wrote: " + output));
        return result(startup, outcome, restarted, Duration.ZERO, "");
    }

    private static CellResult result(InterpreterCell cell, CellOutcomes.Outcome outcome, boolean restarted, Duration wallTime,
                                     String restartNote) {
        String[] output = cell.close();
        return new CellResult(outcome.status(), output[0], output[1], outcome.value(), outcome.error(), outcome.exitCode(),
                outcome.signal(), restarted, outcome.interpreterEnded(), wallTime, outcome.message() + restartNote);
    }

    @Override
    public void close() {
        closed = true;
        InterpreterProcess now = process;
        if (now != null) {
            now.kill();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new CloudRunException("the interpreter is closed");
        }
    }

    private void checkTimeLimit(Duration timeLimit) {
        Objects.requireNonNull(timeLimit, "timeLimit");
        if (timeLimit.isZero() || timeLimit.isNegative()) {
            throw new InvalidRequestException("timeLimit", "must be positive, was " + timeLimit);
        }
        if (timeLimit.compareTo(processLimits.wallTime()) > 0) {
            throw new InvalidRequestException("timeLimit", "must be at most the interpreter's lifetime of "
                    + processLimits.wallTime() + ", was " + timeLimit);
        }
    }

    private static byte[] checkedCode(String code) {
        if (code == null) {
            throw new InvalidRequestException("code", "is required");
        }
        ByteBuffer encoded;
        try {
            encoded = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(CharBuffer.wrap(code));
        } catch (CharacterCodingException e) {
            throw new InvalidRequestException("code", "is not valid Unicode (it holds a lone surrogate)");
        }
        if (encoded.remaining() > MAX_CODE_BYTES) {
            throw new InvalidRequestException("code", "must be at most " + MAX_CODE_BYTES + " bytes of UTF-8, was "
                    + encoded.remaining());
        }
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }
}
