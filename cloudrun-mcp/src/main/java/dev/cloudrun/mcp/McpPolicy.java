package dev.cloudrun.mcp;

import dev.cloudrun.Limits;
import dev.cloudrun.WorkspaceSpec;
import java.time.Duration;
import java.util.Objects;

/**
 * What the operator lets agents ask for: a ceiling for every run's limits, caps on what a tool call
 * may carry, how many sessions may be open and for how long, and whether the network may be asked
 * for at all. Immutable; each {@code withX} returns a copy. An agent's request that passes a cap is
 * refused with a message naming the field; nothing runs.
 */
public final class McpPolicy {
    /** Source size cap by default: 256 KiB. */
    public static final int DEFAULT_MAX_SOURCE_BYTES = 256 * 1024;
    /** Cap on one file written by a tool call by default: 1 MiB. */
    public static final int DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
    /** Files in one call by default. */
    public static final int DEFAULT_MAX_FILES = 32;
    /** Open sessions per client by default. */
    public static final int DEFAULT_MAX_SESSIONS_PER_CLIENT = 4;
    /** Open sessions on the server by default. */
    public static final int DEFAULT_MAX_SESSIONS = 32;
    /** Characters of stdout and of stderr a tool result carries by default. */
    public static final int DEFAULT_MAX_OUTPUT_CHARS = 20_000;
    /** Bytes of images from {@code out/} a run may return by default: 4 MiB. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 4L << 20;

    private final Limits defaultLimits;
    private final Limits maxLimits;
    private final int maxSourceBytes;
    private final int maxFileBytes;
    private final int maxFiles;
    private final int maxSessionsPerClient;
    private final int maxSessions;
    private final Duration sessionIdleTimeout;
    private final long sessionMemoryBytes;
    private final long sessionDiskBytes;
    private final boolean networkAllowed;
    private final int maxOutputChars;
    private final long maxImageBytes;

    private McpPolicy(Limits defaultLimits, Limits maxLimits, int maxSourceBytes, int maxFileBytes, int maxFiles,
                      int maxSessionsPerClient, int maxSessions, Duration sessionIdleTimeout, long sessionMemoryBytes,
                      long sessionDiskBytes, boolean networkAllowed, int maxOutputChars, long maxImageBytes) {
        this.defaultLimits = Objects.requireNonNull(defaultLimits, "defaultLimits");
        this.maxLimits = Objects.requireNonNull(maxLimits, "maxLimits");
        this.maxSourceBytes = positive("maxSourceBytes", maxSourceBytes);
        this.maxFileBytes = positive("maxFileBytes", maxFileBytes);
        this.maxFiles = positive("maxFiles", maxFiles);
        this.maxSessionsPerClient = positive("maxSessionsPerClient", maxSessionsPerClient);
        this.maxSessions = positive("maxSessions", maxSessions);
        this.sessionIdleTimeout = Objects.requireNonNull(sessionIdleTimeout, "sessionIdleTimeout");
        if (sessionIdleTimeout.isZero() || sessionIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("sessionIdleTimeout must be positive");
        }
        this.sessionMemoryBytes = positive("sessionMemoryBytes", sessionMemoryBytes);
        this.sessionDiskBytes = positive("sessionDiskBytes", sessionDiskBytes);
        this.networkAllowed = networkAllowed;
        this.maxOutputChars = positive("maxOutputChars", maxOutputChars);
        this.maxImageBytes = positive("maxImageBytes", maxImageBytes);
    }

    /**
     * @return the defaults: runs at {@link Limits#defaults()} and at most 60 s wall time, 30 s CPU,
     *     1 GiB memory; 256 KiB sources, 1 MiB files, 32 files a call; 4 sessions a client and 32 in
     *     all, each closed after 10 idle minutes, 512 MiB memory and 256 MiB of files; network never
     */
    public static McpPolicy defaults() {
        Limits ceiling = Limits.defaults().withWallTime(Duration.ofSeconds(60)).withCpuTime(Duration.ofSeconds(30))
                .withMemoryBytes(1L << 30).withMaxProcesses(256).withMaxOutputBytes(8L << 20);
        return new McpPolicy(Limits.defaults(), ceiling, DEFAULT_MAX_SOURCE_BYTES, DEFAULT_MAX_FILE_BYTES,
                DEFAULT_MAX_FILES, DEFAULT_MAX_SESSIONS_PER_CLIENT, DEFAULT_MAX_SESSIONS, Duration.ofMinutes(10),
                WorkspaceSpec.DEFAULT_MEMORY_BYTES, WorkspaceSpec.DEFAULT_DISK_BYTES, false,
                DEFAULT_MAX_OUTPUT_CHARS, DEFAULT_MAX_IMAGE_BYTES);
    }

    private McpPolicy copy(Limits defaults, Limits ceiling, int source, int file, int files, int perClient, int sessions,
                           Duration idle, long memory, long disk, boolean network, int output, long images) {
        return new McpPolicy(defaults, ceiling, source, file, files, perClient, sessions, idle, memory, disk, network,
                output, images);
    }

    /** @param limits the limits of a run that asks for none @return a copy */
    public McpPolicy withDefaultLimits(Limits limits) {
        return copy(limits, maxLimits, maxSourceBytes, maxFileBytes, maxFiles, maxSessionsPerClient, maxSessions,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /** @param limits the most any run may ask for @return a copy */
    public McpPolicy withMaxLimits(Limits limits) {
        return copy(defaultLimits, limits, maxSourceBytes, maxFileBytes, maxFiles, maxSessionsPerClient, maxSessions,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /** @param bytes the largest source a call may carry @return a copy */
    public McpPolicy withMaxSourceBytes(int bytes) {
        return copy(defaultLimits, maxLimits, bytes, maxFileBytes, maxFiles, maxSessionsPerClient, maxSessions,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /** @param bytes the largest file a call may carry @return a copy */
    public McpPolicy withMaxFileBytes(int bytes) {
        return copy(defaultLimits, maxLimits, maxSourceBytes, bytes, maxFiles, maxSessionsPerClient, maxSessions,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /**
     * @param perClient open sessions one client (an MCP connection, or an API key) may have
     * @param total open sessions on this server
     * @return a copy
     */
    public McpPolicy withMaxSessions(int perClient, int total) {
        return copy(defaultLimits, maxLimits, maxSourceBytes, maxFileBytes, maxFiles, perClient, total,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /** @param timeout how long a session stays open with nothing going on in it @return a copy */
    public McpPolicy withSessionIdleTimeout(Duration timeout) {
        return copy(defaultLimits, maxLimits, maxSourceBytes, maxFileBytes, maxFiles, maxSessionsPerClient, maxSessions,
                timeout, sessionMemoryBytes, sessionDiskBytes, networkAllowed, maxOutputChars, maxImageBytes);
    }

    /** @param allowed whether agents may ask for network (behind CloudRun's fence) @return a copy */
    public McpPolicy withNetworkAllowed(boolean allowed) {
        return copy(defaultLimits, maxLimits, maxSourceBytes, maxFileBytes, maxFiles, maxSessionsPerClient, maxSessions,
                sessionIdleTimeout, sessionMemoryBytes, sessionDiskBytes, allowed, maxOutputChars, maxImageBytes);
    }

    /** @return the limits of a run that asks for none */
    public Limits defaultLimits() {
        return defaultLimits;
    }

    /** @return the most any run may ask for */
    public Limits maxLimits() {
        return maxLimits;
    }

    /** @return the largest source a call may carry, in bytes of UTF-8 */
    public int maxSourceBytes() {
        return maxSourceBytes;
    }

    /** @return the largest file a call may carry, in bytes */
    public int maxFileBytes() {
        return maxFileBytes;
    }

    /** @return how many files one call may carry */
    public int maxFiles() {
        return maxFiles;
    }

    /** @return open sessions one client may have */
    public int maxSessionsPerClient() {
        return maxSessionsPerClient;
    }

    /** @return open sessions on this server */
    public int maxSessions() {
        return maxSessions;
    }

    /** @return how long a session stays open with nothing going on in it */
    public Duration sessionIdleTimeout() {
        return sessionIdleTimeout;
    }

    /** @return memory of all of one session's processes together */
    public long sessionMemoryBytes() {
        return sessionMemoryBytes;
    }

    /** @return the size cap of one session's files */
    public long sessionDiskBytes() {
        return sessionDiskBytes;
    }

    /** @return whether agents may ask for network */
    public boolean networkAllowed() {
        return networkAllowed;
    }

    /** @return characters of stdout and of stderr a tool result carries */
    public int maxOutputChars() {
        return maxOutputChars;
    }

    /** @return bytes of images a run may return */
    public long maxImageBytes() {
        return maxImageBytes;
    }

    private static int positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, was " + value);
        }
        return value;
    }

    private static long positive(String field, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, was " + value);
        }
        return value;
    }
}
