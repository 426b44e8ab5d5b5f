package dev.cloudrun.spi;

import dev.cloudrun.Limits;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One command to run inside a sandbox.
 *
 * @param kind compile, run or install
 * @param command the argument list, placeholders already expanded
 * @param env the only environment variables the command gets (besides the backend's minimal
 *     {@code PATH}, {@code HOME}, {@code LANG})
 * @param limits the limits to enforce; the backend enforces memory, processes, file size, open
 *     files and CPU time (as the kernel allows); the caller also enforces wall time, CPU time and
 *     output volume by killing the step
 * @param network whether the step may use the network. Network-enabled steps are still fenced off
 *     from this host's own services and from private networks where the backend can enforce it
 * @param cacheMounts package caches to mount into the step
 * @param privateEndpoints endpoints on this host or in a private network that the step may reach
 *     anyway (a package index mirror for an install step); empty for most steps
 * @param stderrToStdout whether the command's fd 2 is the same pipe as its fd 1 inside the sandbox
 *     (as {@code 2>&1} does), so the kernel keeps the writes of both in order and everything
 *     arrives at the sink as stdout
 * @param terminal whether the command runs on a pseudo-terminal of the sandbox's own (its stdin,
 *     stdout and stderr), as in a terminal window, and whether that terminal echoes input:
 *     {@code isatty()} is true, the writes of stdout and stderr stay in order, and everything
 *     arrives at the sink as stdout (see {@link #commandWithRedirections()})
 */
public record StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                       List<CacheMount> cacheMounts, List<NetworkEndpoint> privateEndpoints, boolean stderrToStdout,
                       Terminal terminal) {

    /** Whether a step runs on a pseudo-terminal, and whether the terminal echoes what it reads. */
    public enum Terminal {
        /** Pipes: stdin, stdout and stderr are three pipes (or stderr stdout's with {@code stderrToStdout}). */
        NONE,
        /** A terminal that does not echo input: input given up front, as with {@code program < file}. */
        NO_ECHO,
        /** A terminal that echoes input, as when a person types at it (the client then echoes nothing itself). */
        ECHO
    }

    /** The terminal size a {@link #terminal()} step's pseudo-terminal reports: columns. */
    public static final int TERMINAL_COLUMNS = 80;
    /** The terminal size a {@link #terminal()} step's pseudo-terminal reports: rows. */
    public static final int TERMINAL_ROWS = 24;

    /** What a step is for. */
    public enum Kind {
        /** Compiling the program. */
        COMPILE,
        /** Running the program. */
        RUN,
        /** Installing the program's dependencies. */
        INSTALL
    }

    /**
     * A step on pipes, not a terminal.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     * @param cacheMounts package caches to mount into the step
     * @param privateEndpoints endpoints on this host or in a private network that the step may reach
     * @param stderrToStdout whether the command's fd 2 is the same pipe as its fd 1
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                    List<CacheMount> cacheMounts, List<NetworkEndpoint> privateEndpoints, boolean stderrToStdout) {
        this(kind, command, env, limits, network, cacheMounts, privateEndpoints, stderrToStdout, Terminal.NONE);
    }

    /**
     * A step without package caches.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network) {
        this(kind, command, env, limits, network, List.of(), List.of(), false);
    }

    /**
     * A step that reaches no private endpoint.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     * @param cacheMounts package caches to mount into the step
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                    List<CacheMount> cacheMounts) {
        this(kind, command, env, limits, network, cacheMounts, List.of(), false);
    }

    /**
     * A step whose stderr stays apart from its stdout.
     *
     * @param kind compile, run or install
     * @param command the argument list
     * @param env the environment
     * @param limits the limits
     * @param network whether the step may use the network
     * @param cacheMounts package caches to mount into the step
     * @param privateEndpoints endpoints on this host or in a private network that the step may reach
     */
    public StepSpec(Kind kind, List<String> command, Map<String, String> env, Limits limits, boolean network,
                    List<CacheMount> cacheMounts, List<NetworkEndpoint> privateEndpoints) {
        this(kind, command, env, limits, network, cacheMounts, privateEndpoints, false);
    }

    /**
     * The command as the sandbox should start it: {@link #command()}, behind a {@code /bin/sh} that
     * points fd 2 at fd 1 when {@link #stderrToStdout()}, or under util-linux {@code script} when
     * {@link #terminal()}. Backends run this inside the sandbox, innermost (after any wrapper of
     * their own), so the program itself holds the merged pipe or the terminal.
     *
     * <p>{@code script} (in Debian's essential {@code bsdutils}, so in every image) opens the
     * pseudo-terminal in the sandbox's own {@code devpts} (bubblewrap's {@code --dev}, a container's
     * {@code /dev/pts}): the host never hands a terminal of its own to the sandbox. It copies its
     * stdin to the terminal (end-of-file becomes the terminal's end-of-file character, so the
     * program reads end-of-file), the terminal's output to its stdout, and exits with the program's
     * exit code ({@code -e}; 128+N after signal N, as a shell reports it). The terminal echoes input
     * only when {@link Terminal#ECHO} (then it also edits the line: Backspace, Ctrl+U; Ctrl+C
     * interrupts, Ctrl+D is end-of-file, as at any terminal; Ctrl+S does not stop the output), does
     * not turn {@code \n} into {@code \r\n}, and reports {@value #TERMINAL_COLUMNS}x{@value #TERMINAL_ROWS}.
     * In canonical mode the kernel holds at most 4095 bytes of one input line.
     *
     * @return the argument list to execute
     */
    public List<String> commandWithRedirections() {
        if (terminal != Terminal.NONE) {
            return terminalCommand();
        }
        if (!stderrToStdout) {
            return command;
        }
        List<String> wrapped = new java.util.ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 2>&1", "cloudrun-merge"));
        wrapped.addAll(command);
        return List.copyOf(wrapped);
    }

    private List<String> terminalCommand() {
        // -ixon: Ctrl+S typed in a browser's terminal must not freeze the output (XOFF) with no Ctrl+Q in sight.
        StringBuilder inner = new StringBuilder("stty -onlcr -ixon cols " + TERMINAL_COLUMNS + " rows " + TERMINAL_ROWS
                + " 2>/dev/null; ");
        // script runs the command with $SHELL -c: a fixed /bin/sh, then the program's own SHELL (if any) back.
        String shell = env.get("SHELL");
        inner.append(shell == null ? "unset SHELL; " : "export SHELL=" + shellQuote(shell) + "; ");
        inner.append("exec");
        for (String word : command) {
            inner.append(' ').append(shellQuote(word));
        }
        return List.of("/usr/bin/env", "SHELL=/bin/sh", "script", "-q", "-e", "-f", "-E",
                terminal == Terminal.ECHO ? "always" : "never", "-c",
                inner.toString(), "/dev/null");
    }

    /** @return the word in single quotes, each quote in it closed, escaped and reopened */
    private static String shellQuote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Checks and copies the components. */
    public StepSpec {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(terminal, "terminal");
        command = List.copyOf(command);
        env = Map.copyOf(env);
        Objects.requireNonNull(limits, "limits");
        cacheMounts = List.copyOf(cacheMounts);
        privateEndpoints = List.copyOf(privateEndpoints);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
    }
}
