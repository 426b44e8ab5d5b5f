package dev.cloudrun;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of one run: how it ended, what it printed and what it used. Output is captured up to
 * the run's output limit; {@link #stdoutTruncated()} and {@link #stderrTruncated()} say when some
 * was cut. Build one with {@link #builder(Status)} (useful for tests and custom backends).
 */
public final class RunResult {
    private final Status status;
    private final String language;
    private final int exitCode;
    private final int signal;
    private final Duration wallTime;
    private final Duration cpuTime;
    private final long memoryBytes;
    private final Captured stdout;
    private final Captured stderr;
    private final boolean stdoutTruncated;
    private final boolean stderrTruncated;
    private final String compilerOutput;
    private final String message;
    private final List<String> installedPackages;
    private final List<String> missingPackages;
    private final boolean compileCached;
    private final Map<String, byte[]> outputFiles;

    private RunResult(Builder builder) {
        this.status = builder.status;
        this.language = builder.language;
        this.exitCode = builder.exitCode;
        this.signal = builder.signal;
        this.wallTime = builder.wallTime;
        this.cpuTime = builder.cpuTime;
        this.memoryBytes = builder.memoryBytes;
        this.stdout = builder.stdout;
        this.stderr = builder.stderr;
        this.stdoutTruncated = builder.stdoutTruncated;
        this.stderrTruncated = builder.stderrTruncated;
        this.compilerOutput = builder.compilerOutput;
        this.message = builder.message;
        this.installedPackages = List.copyOf(builder.installedPackages);
        this.missingPackages = List.copyOf(builder.missingPackages);
        this.compileCached = builder.compileCached;
        this.outputFiles = builder.outputFiles;
    }

    /**
     * Starts building a result.
     *
     * @param status how the run ended
     * @return a builder with no language, zero times and memory, no output, no message, exit code -1
     *     and no signal
     */
    public static Builder builder(Status status) {
        return new Builder(status);
    }

    /** @return how the run ended */
    public Status status() {
        return status;
    }

    /** @return whether the run ended {@link Status#OK} */
    public boolean isOk() {
        return status == Status.OK;
    }

    /** @return the language id the run used (canonical id, not the alias given) */
    public String language() {
        return language;
    }

    /** @return the program's exit code, or -1 when it never exited by itself (not started, killed) */
    public int exitCode() {
        return exitCode;
    }

    /**
     * The signal that ended the program, if one did. Sandboxes report a death by signal N the way
     * shells do, as exit code 128+N, so a program that calls {@code exit(137)} looks like SIGKILL.
     *
     * @return the signal number, or empty
     */
    public Optional<Integer> signal() {
        return signal > 0 ? Optional.of(signal) : Optional.empty();
    }

    /** @return wall-clock time of the program's run step (compilation excluded) */
    public Duration wallTime() {
        return wallTime;
    }

    /** @return CPU time of the run step as the kernel counted it (all processes and threads) */
    public Duration cpuTime() {
        return cpuTime;
    }

    /** @return peak memory of the run step in bytes as the kernel counted it (0 when not measurable) */
    public long memoryBytes() {
        return memoryBytes;
    }

    /** @return the captured standard output, decoded as UTF-8 */
    public String stdout() {
        return stdout.text();
    }

    /** @return the captured standard error, decoded as UTF-8 */
    public String stderr() {
        return stderr.text();
    }

    /** @return a copy of the captured standard output's bytes */
    public byte[] stdoutBytes() {
        return stdout.bytes();
    }

    /** @return a copy of the captured standard error's bytes */
    public byte[] stderrBytes() {
        return stderr.bytes();
    }

    /** @return whether standard output was cut at the output limit */
    public boolean stdoutTruncated() {
        return stdoutTruncated;
    }

    /** @return whether standard error was cut at the output limit */
    public boolean stderrTruncated() {
        return stderrTruncated;
    }

    /** @return what the compiler printed (empty for interpreted languages) */
    public String compilerOutput() {
        return compilerOutput;
    }

    /** @return one sentence that explains the status, for example "exceeded the wall-clock limit of 2 s" */
    public String message() {
        return message;
    }

    /** @return packages installed for this run by auto-install (empty unless requested) */
    public List<String> installedPackages() {
        return installedPackages;
    }

    /** @return packages the program failed to import and that were not installed (it may need them) */
    public List<String> missingPackages() {
        return missingPackages;
    }

    /**
     * @return whether the compile step was skipped because the compile cache held the artefacts of a
     *     byte-identical compile ({@link #compilerOutput()} is then that compile's output)
     */
    public boolean compileCached() {
        return compileCached;
    }

    /**
     * @param files the files carried out of the output folder
     * @return a copy of this result with them
     */
    public RunResult withOutputFiles(Map<String, byte[]> files) {
        Builder builder = new Builder(status);
        builder.language = language;
        builder.exitCode = exitCode;
        builder.signal = signal;
        builder.wallTime = wallTime;
        builder.cpuTime = cpuTime;
        builder.memoryBytes = memoryBytes;
        builder.stdout = stdout;
        builder.stderr = stderr;
        builder.stdoutTruncated = stdoutTruncated;
        builder.stderrTruncated = stderrTruncated;
        builder.compilerOutput = compilerOutput;
        builder.message = message;
        builder.installedPackages = installedPackages;
        builder.missingPackages = missingPackages;
        builder.compileCached = compileCached;
        return builder.outputFiles(files).build();
    }

    /**
     * @return the regular files the program left in the request's output folder
     *     ({@link RunRequest#withOutputFiles}), by path relative to its working directory
     *     ({@code out/plot.png}), sorted; empty when none were asked for or made. The arrays are copies.
     */
    public Map<String, byte[]> outputFiles() {
        Map<String, byte[]> copy = new java.util.TreeMap<>();
        outputFiles.forEach((path, content) -> copy.put(path, content.clone()));
        return copy;
    }

    /** @return the status, exit code, signal, times, memory and message on one line (no output), for logs */
    @Override
    public String toString() {
        return "RunResult{" + status + ", exitCode=" + exitCode + (signal > 0 ? ", signal=" + signal : "")
                + ", wallTimeMs=" + wallTime.toMillis() + ", cpuTimeMs=" + cpuTime.toMillis()
                + ", memoryBytes=" + memoryBytes + ", message=" + message + "}";
    }

    /** Builds a {@link RunResult}. */
    public static final class Builder {
        private final Status status;
        private String language = "";
        private int exitCode = -1;
        private int signal;
        private Duration wallTime = Duration.ZERO;
        private Duration cpuTime = Duration.ZERO;
        private long memoryBytes;
        private Captured stdout = Captured.NONE;
        private Captured stderr = Captured.NONE;
        private boolean stdoutTruncated;
        private boolean stderrTruncated;
        private String compilerOutput = "";
        private String message = "";
        private List<String> installedPackages = List.of();
        private List<String> missingPackages = List.of();
        private boolean compileCached;
        private Map<String, byte[]> outputFiles = Map.of();

        private Builder(Status status) {
            this.status = Objects.requireNonNull(status, "status");
        }

        /** @param value canonical language id @return this builder */
        public Builder language(String value) {
            this.language = Objects.requireNonNull(value);
            return this;
        }

        /** @param value exit code, -1 for none @return this builder */
        public Builder exitCode(int value) {
            this.exitCode = value;
            return this;
        }

        /** @param value signal number, 0 for none @return this builder */
        public Builder signal(int value) {
            this.signal = value;
            return this;
        }

        /** @param value wall-clock time @return this builder */
        public Builder wallTime(Duration value) {
            this.wallTime = Objects.requireNonNull(value);
            return this;
        }

        /** @param value CPU time @return this builder */
        public Builder cpuTime(Duration value) {
            this.cpuTime = Objects.requireNonNull(value);
            return this;
        }

        /** @param value peak memory in bytes @return this builder */
        public Builder memoryBytes(long value) {
            this.memoryBytes = value;
            return this;
        }

        /** @param value captured stdout (copied) @param truncated whether it was cut @return this builder */
        public Builder stdout(byte[] value, boolean truncated) {
            this.stdout = Captured.copyOf(Objects.requireNonNull(value));
            this.stdoutTruncated = truncated;
            return this;
        }

        /** @param value captured stderr (copied) @param truncated whether it was cut @return this builder */
        public Builder stderr(byte[] value, boolean truncated) {
            this.stderr = Captured.copyOf(Objects.requireNonNull(value));
            this.stderrTruncated = truncated;
            return this;
        }

        /**
         * Captured stdout in pieces, kept as they are rather than copied: for a capture of many
         * megabytes, which copying would cost as much again as reading it did. The output is the
         * remaining bytes of each buffer, in order.
         *
         * @param chunks read-only buffers (see {@link ByteBuffer#asReadOnlyBuffer()}) whose bytes
         *     nobody changes afterwards
         * @param truncated whether it was cut
         * @return this builder
         * @throws IllegalArgumentException if a buffer is writable
         */
        public Builder stdout(List<ByteBuffer> chunks, boolean truncated) {
            this.stdout = Captured.of("stdout", chunks);
            this.stdoutTruncated = truncated;
            return this;
        }

        /**
         * Captured stderr in pieces; see {@link #stdout(List, boolean)}.
         *
         * @param chunks read-only buffers whose bytes nobody changes afterwards
         * @param truncated whether it was cut
         * @return this builder
         * @throws IllegalArgumentException if a buffer is writable
         */
        public Builder stderr(List<ByteBuffer> chunks, boolean truncated) {
            this.stderr = Captured.of("stderr", chunks);
            this.stderrTruncated = truncated;
            return this;
        }

        /** @param value compiler output @return this builder */
        public Builder compilerOutput(String value) {
            this.compilerOutput = Objects.requireNonNull(value);
            return this;
        }

        /** @param value explanation of the status @return this builder */
        public Builder message(String value) {
            this.message = Objects.requireNonNull(value);
            return this;
        }

        /** @param value packages installed by auto-install @return this builder */
        public Builder installedPackages(List<String> value) {
            this.installedPackages = Objects.requireNonNull(value);
            return this;
        }

        /** @param value packages detected as missing and not installed @return this builder */
        public Builder missingPackages(List<String> value) {
            this.missingPackages = Objects.requireNonNull(value);
            return this;
        }

        /** @param value whether the compile came from the compile cache @return this builder */
        public Builder compileCached(boolean value) {
            this.compileCached = value;
            return this;
        }

        /**
         * @param files the files carried out of the output folder, by path relative to the working directory
         * @return this builder
         */
        public Builder outputFiles(Map<String, byte[]> files) {
            Map<String, byte[]> copy = new java.util.TreeMap<>();
            files.forEach((path, content) -> copy.put(path, content.clone()));
            this.outputFiles = java.util.Collections.unmodifiableMap(copy);
            return this;
        }

        /** @return the result */
        public RunResult build() {
            return new RunResult(this);
        }
    }

    /** Captured output: read-only buffers whose bytes follow one another, copied out only when asked for. */
    private static final class Captured {
        static final Captured NONE = new Captured(new ByteBuffer[0], 0);

        private final ByteBuffer[] chunks;
        private final int size;

        private Captured(ByteBuffer[] chunks, int size) {
            this.chunks = chunks;
            this.size = size;
        }

        static Captured copyOf(byte[] bytes) {
            return bytes.length == 0 ? NONE
                    : new Captured(new ByteBuffer[] {ByteBuffer.wrap(bytes.clone()).asReadOnlyBuffer()}, bytes.length);
        }

        static Captured of(String field, List<ByteBuffer> chunks) {
            Objects.requireNonNull(chunks, field);
            long size = 0;
            ByteBuffer[] kept = new ByteBuffer[chunks.size()];
            for (int i = 0; i < kept.length; i++) {
                ByteBuffer chunk = Objects.requireNonNull(chunks.get(i), field + " chunk");
                if (!chunk.isReadOnly()) {
                    throw new IllegalArgumentException(field + " chunks must be read-only buffers "
                            + "(ByteBuffer.asReadOnlyBuffer()); chunk " + i + " is writable");
                }
                kept[i] = chunk.slice();
                size += kept[i].remaining();
            }
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException(field + " is too large for one array: " + size + " bytes");
            }
            return size == 0 ? NONE : new Captured(kept, (int) size);
        }

        byte[] bytes() {
            byte[] all = new byte[size];
            int position = 0;
            for (ByteBuffer chunk : chunks) {
                int length = chunk.remaining();
                chunk.duplicate().get(all, position, length);
                position += length;
            }
            return all;
        }

        String text() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }
    }
}
