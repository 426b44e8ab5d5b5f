package dev.cloudrun;

import java.time.Duration;
import java.util.Objects;

/**
 * The hard limits of one run, all enforced by the kernel (cgroups, namespaces, rlimits) or by the
 * host killing the sandbox, never by trusting the program. Immutable: every {@code withX} method
 * returns a copy.
 *
 * <p>{@link #defaults()} suits typical exercises. A {@link CodeRunner} rejects any value above its
 * configured ceiling ({@link CodeRunner.Config#maxLimits(Limits)}).
 */
public final class Limits {
    private static final long MIB = 1024L * 1024L;

    private static final Limits DEFAULTS = new Limits(Duration.ofSeconds(10), Duration.ofSeconds(5),
            256 * MIB, 64, MIB, 16 * MIB, 256, Duration.ofSeconds(30), 8 * MIB);

    private static final Limits CEILING = new Limits(Duration.ofMinutes(5), Duration.ofMinutes(5),
            4096 * MIB, 1024, 64 * MIB, 1024 * MIB, 4096, Duration.ofMinutes(5), 1024 * MIB);

    /** The smallest stack accepted: enough for the shells that start a step. */
    private static final long MIN_STACK_BYTES = 64 * 1024L;

    private final Duration wallTime;
    private final Duration cpuTime;
    private final long memoryBytes;
    private final int maxProcesses;
    private final long maxOutputBytes;
    private final long maxFileSizeBytes;
    private final int maxOpenFiles;
    private final Duration compileTime;
    private final long stackBytes;

    private Limits(Duration wallTime, Duration cpuTime, long memoryBytes, int maxProcesses,
                   long maxOutputBytes, long maxFileSizeBytes, int maxOpenFiles, Duration compileTime,
                   long stackBytes) {
        this.wallTime = Objects.requireNonNull(wallTime, "wallTime");
        this.cpuTime = Objects.requireNonNull(cpuTime, "cpuTime");
        this.memoryBytes = memoryBytes;
        this.maxProcesses = maxProcesses;
        this.maxOutputBytes = maxOutputBytes;
        this.maxFileSizeBytes = maxFileSizeBytes;
        this.maxOpenFiles = maxOpenFiles;
        this.compileTime = Objects.requireNonNull(compileTime, "compileTime");
        this.stackBytes = stackBytes;
    }

    /**
     * The built-in defaults: 10 s wall time, 5 s CPU time, 256 MiB memory, 64 processes/threads,
     * 1 MiB of output, 16 MiB per written file, 256 open files, 30 s to compile, 8 MiB of stack.
     *
     * @return the default limits
     */
    public static Limits defaults() {
        return DEFAULTS;
    }

    /**
     * The built-in ceiling a {@link CodeRunner} accepts unless configured otherwise: 5 min wall and
     * CPU time, 4 GiB memory, 1024 processes, 64 MiB output, 1 GiB per file, 4096 open files,
     * 5 min to compile, 1 GiB of stack.
     *
     * @return the default ceiling
     */
    public static Limits defaultCeiling() {
        return CEILING;
    }

    /** @return the wall-clock time the program may run (sleeping counts) */
    public Duration wallTime() {
        return wallTime;
    }

    /** @return the CPU time the program may use, summed over all its processes and threads */
    public Duration cpuTime() {
        return cpuTime;
    }

    /** @return the memory the program may use, in bytes (no swap on top) */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** @return how many processes and threads may exist at once in the sandbox */
    public int maxProcesses() {
        return maxProcesses;
    }

    /** @return how many bytes of stdout and stderr together the program may write before it is stopped */
    public long maxOutputBytes() {
        return maxOutputBytes;
    }

    /** @return the largest file the program may write, in bytes */
    public long maxFileSizeBytes() {
        return maxFileSizeBytes;
    }

    /** @return how many files the program may hold open at once */
    public int maxOpenFiles() {
        return maxOpenFiles;
    }

    /** @return the wall-clock (and CPU) time the compile step may take */
    public Duration compileTime() {
        return compileTime;
    }

    /**
     * @return the stack size limit ({@code RLIMIT_STACK}, soft and hard) of the run and compile steps,
     *     in bytes; the compile step gets at least the default 8 MiB. The stack counts towards
     *     {@link #memoryBytes()} as it is used, so a large value only lets deep recursion go deeper
     */
    public long stackBytes() {
        return stackBytes;
    }

    /**
     * @param value the new wall-clock limit
     * @return a copy with that limit
     */
    public Limits withWallTime(Duration value) {
        return new Limits(value, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new CPU time limit
     * @return a copy with that limit
     */
    public Limits withCpuTime(Duration value) {
        return new Limits(wallTime, value, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new memory limit in bytes
     * @return a copy with that limit
     */
    public Limits withMemoryBytes(long value) {
        return new Limits(wallTime, cpuTime, value, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new process/thread limit
     * @return a copy with that limit
     */
    public Limits withMaxProcesses(int value) {
        return new Limits(wallTime, cpuTime, memoryBytes, value, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new output limit in bytes
     * @return a copy with that limit
     */
    public Limits withMaxOutputBytes(long value) {
        return new Limits(wallTime, cpuTime, memoryBytes, maxProcesses, value, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new per-file size limit in bytes
     * @return a copy with that limit
     */
    public Limits withMaxFileSizeBytes(long value) {
        return new Limits(wallTime, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, value, maxOpenFiles, compileTime,
                stackBytes);
    }

    /**
     * @param value the new open-file limit
     * @return a copy with that limit
     */
    public Limits withMaxOpenFiles(int value) {
        return new Limits(wallTime, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, value, compileTime, stackBytes);
    }

    /**
     * @param value the new compile time limit
     * @return a copy with that limit
     */
    public Limits withCompileTime(Duration value) {
        return new Limits(wallTime, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, value,
                stackBytes);
    }

    /**
     * @param value the new stack size limit in bytes (at least 64 KiB)
     * @return a copy with that limit
     */
    public Limits withStackBytes(long value) {
        return new Limits(wallTime, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles,
                compileTime, value);
    }

    /**
     * Checks that every value is positive and at most the ceiling's.
     *
     * @param ceiling the largest values allowed
     * @throws InvalidRequestException naming the first offending field ({@code limits.memoryBytes}, ...)
     */
    public void validateAgainst(Limits ceiling) {
        checkDuration("limits.wallTime", wallTime, ceiling.wallTime);
        checkDuration("limits.cpuTime", cpuTime, ceiling.cpuTime);
        checkDuration("limits.compileTime", compileTime, ceiling.compileTime);
        checkNumber("limits.memoryBytes", memoryBytes, ceiling.memoryBytes);
        checkNumber("limits.maxProcesses", maxProcesses, ceiling.maxProcesses);
        checkNumber("limits.maxOutputBytes", maxOutputBytes, ceiling.maxOutputBytes);
        checkNumber("limits.maxFileSizeBytes", maxFileSizeBytes, ceiling.maxFileSizeBytes);
        checkNumber("limits.maxOpenFiles", maxOpenFiles, ceiling.maxOpenFiles);
        checkNumber("limits.stackBytes", stackBytes, ceiling.stackBytes);
        if (stackBytes < MIN_STACK_BYTES) {
            throw new InvalidRequestException("limits.stackBytes", "must be at least 64 KiB (65536), was " + stackBytes);
        }
        if (memoryBytes < 8 * MIB) {
            throw new InvalidRequestException("limits.memoryBytes", "must be at least 8 MiB (8388608), was " + memoryBytes);
        }
        if (maxOpenFiles < 16) {
            throw new InvalidRequestException("limits.maxOpenFiles", "must be at least 16, was " + maxOpenFiles);
        }
    }

    private static void checkDuration(String field, Duration value, Duration max) {
        if (value.isZero() || value.isNegative()) {
            throw new InvalidRequestException(field, "must be positive, was " + value);
        }
        if (value.compareTo(max) > 0) {
            throw new InvalidRequestException(field, "must be at most " + max + ", was " + value);
        }
    }

    private static void checkNumber(String field, long value, long max) {
        if (value <= 0) {
            throw new InvalidRequestException(field, "must be positive, was " + value);
        }
        if (value > max) {
            throw new InvalidRequestException(field, "must be at most " + max + ", was " + value);
        }
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof Limits)) {
            return false;
        }
        Limits that = (Limits) other;
        return wallTime.equals(that.wallTime) && cpuTime.equals(that.cpuTime) && memoryBytes == that.memoryBytes
                && maxProcesses == that.maxProcesses && maxOutputBytes == that.maxOutputBytes
                && maxFileSizeBytes == that.maxFileSizeBytes && maxOpenFiles == that.maxOpenFiles
                && compileTime.equals(that.compileTime) && stackBytes == that.stackBytes;
    }

    @Override
    public int hashCode() {
        return Objects.hash(wallTime, cpuTime, memoryBytes, maxProcesses, maxOutputBytes, maxFileSizeBytes, maxOpenFiles, compileTime,
                stackBytes);
    }

    @Override
    public String toString() {
        return "Limits{wallTime=" + wallTime + ", cpuTime=" + cpuTime + ", memoryBytes=" + memoryBytes
                + ", maxProcesses=" + maxProcesses + ", maxOutputBytes=" + maxOutputBytes
                + ", maxFileSizeBytes=" + maxFileSizeBytes + ", maxOpenFiles=" + maxOpenFiles
                + ", compileTime=" + compileTime + ", stackBytes=" + stackBytes + "}";
    }
}
