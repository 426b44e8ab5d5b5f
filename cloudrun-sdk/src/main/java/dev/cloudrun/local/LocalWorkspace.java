package dev.cloudrun.local;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.WorkspaceSandbox;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A terminal workspace on this host: a run's sandbox folder and size-capped tmpfs tree kept for as
 * long as the workspace lives, and one cgroup (memory, processes, CPU quota) that holds every
 * shell, run step and file operation started in it. Each shell and each step is a bubblewrap
 * sandbox of its own on the same tree, hardened as runs are (namespaces, uid 1000, seccomp, read-only
 * root). File operations run inside such a sandbox too, with the image's own tools, so the host
 * never opens a path user code could have changed.
 */
final class LocalWorkspace implements WorkspaceSandbox {
    /** How long a file operation may take at most. */
    private static final Duration FILE_OPERATION_TIME = Duration.ofSeconds(60);
    /** A shell's per-process rlimits are loose: the workspace's cgroup and tree cap are the limits. */
    private static final Duration SHELL_CPU_TIME = Duration.ofDays(1);
    private static final long NO_FILE_SIZE_LIMIT = 1L << 40;
    private static final String PROMPT = "\\u@workspace:\\w\\$ ";
    /** Exit code of the file scripts for "no such file or folder". */
    private static final int MISSING = 3;
    /** Exit code of the file scripts for "a folder is in the way". */
    private static final int FOLDER = 4;

    private final WorkspaceSandboxSpec spec;
    private final LocalSandboxBackend backend;
    private final LocalSandbox sandbox;
    private final Cgroup cgroup;
    private final Set<LocalTerminal> terminals = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private LocalWorkspace(WorkspaceSandboxSpec spec, LocalSandboxBackend backend, LocalSandbox sandbox, Cgroup cgroup) {
        this.spec = spec;
        this.backend = backend;
        this.sandbox = sandbox;
        this.cgroup = cgroup;
    }

    static LocalWorkspace open(WorkspaceSandboxSpec spec, LocalSandboxBackend backend) {
        if (!backend.tools().root()) {
            throw new dev.cloudrun.BackendUnavailableException("terminal workspaces on the local backend need a root JVM: "
                    + "the file tree's size cap is a tmpfs mount, and the shells run under a uid of their own");
        }
        if (backend.cgroups().isEmpty()) {
            throw new dev.cloudrun.BackendUnavailableException("terminal workspaces need cgroups (memory, pids, cpu) "
                    + "to hold their limits: run the JVM as root or give it a delegated cgroup");
        }
        Cgroup cgroup;
        try {
            cgroup = backend.cgroups().get().createWorkspace(spec.id(), spec.memoryBytes(), spec.maxProcesses(), spec.cpus());
        } catch (IOException e) {
            throw new CloudRunException("cannot create the workspace's cgroup: " + e.getMessage(), e);
        }
        try {
            LocalSandbox sandbox = LocalSandbox.createForWorkspace(
                    new SandboxSpec(spec.id(), spec.language(), spec.files(), spec.diskBytes()), backend, spec.id());
            return new LocalWorkspace(spec, backend, sandbox, cgroup);
        } catch (RuntimeException e) {
            cgroup.destroy();
            throw e;
        }
    }

    @Override
    public SandboxProcess start(StepSpec step, OutputSink sink) {
        checkOpen();
        if (step.network() && !spec.network()) {
            // The workspace's network setting holds for its runs too.
            step = new StepSpec(step.kind(), step.command(), step.env(), step.limits(), false, step.cacheMounts(),
                    List.of(), step.stderrToStdout(), step.terminal());
        }
        return sandbox.start(capped(step), sink);
    }

    /** @return the step with limits no larger than the workspace's (the cgroup above holds them anyway) */
    private StepSpec capped(StepSpec step) {
        Limits limits = step.limits();
        Limits within = limits.withMemoryBytes(Math.min(limits.memoryBytes(), spec.memoryBytes()))
                .withMaxProcesses(Math.min(limits.maxProcesses(), spec.maxProcesses()));
        return new StepSpec(step.kind(), step.command(), step.env(), within, step.network(), step.cacheMounts(),
                step.privateEndpoints(), step.stderrToStdout(), step.terminal());
    }

    @Override
    public TerminalProcess openTerminal(int columns, int rows, TerminalSink sink) {
        checkOpen();
        // The shell gets a terminal of the sandbox's own devpts from script (util-linux), which
        // copies this session's window size to it on SIGWINCH and exits with the shell's status.
        String shell = "if [ -x /bin/bash ]; then export SHELL=/bin/bash; exec /bin/bash -l; "
                + "else export SHELL=/bin/sh; exec /bin/sh -l; fi";
        List<String> command = List.of("/usr/bin/env", "SHELL=/bin/sh", "script", "-q", "-e", "-f", "-c", shell, "/dev/null");
        Limits limits = Limits.defaults().withMemoryBytes(spec.memoryBytes()).withMaxProcesses(spec.maxProcesses())
                .withCpuTime(SHELL_CPU_TIME).withWallTime(SHELL_CPU_TIME).withMaxFileSizeBytes(NO_FILE_SIZE_LIMIT)
                .withMaxOpenFiles(1024);
        StepSpec step = new StepSpec(StepSpec.Kind.RUN, command,
                // Histories go to the shell's own /tmp, not into the project's files.
                Map.of("TERM", "xterm-256color", "PS1", PROMPT, "COLORTERM", "truecolor", "HISTFILE", "/tmp/.bash_history",
                        "LESSHISTFILE", "-"), limits, spec.network(),
                List.of(), spec.privateEndpoints(), false, StepSpec.Terminal.NONE);
        LocalTerminal[] opened = new LocalTerminal[1];
        LocalTerminal terminal = sandbox.openTerminal(step, columns, rows, sink, () -> {
            if (opened[0] != null) {
                terminals.remove(opened[0]);
            }
        });
        opened[0] = terminal;
        terminals.add(terminal);
        return terminal;
    }

    @Override
    public List<WorkspaceEntry> list() {
        byte[] out = fileOperation("cd /work && find . -mindepth 1 -printf '%y %s %P\\0'", List.of(), null, "path");
        List<WorkspaceEntry> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0) {
                String line = new String(out, start, i - start, StandardCharsets.UTF_8);
                start = i + 1;
                int first = line.indexOf(' ');
                int second = line.indexOf(' ', first + 1);
                if (first != 1 || second < 0) {
                    continue;
                }
                boolean directory = line.charAt(0) == 'd';
                long size = directory ? 0 : Long.parseLong(line.substring(first + 1, second));
                entries.add(new WorkspaceEntry(line.substring(second + 1), directory, size));
            }
        }
        return entries;
    }

    @Override
    public byte[] read(String path) {
        return fileOperation("[ -f \"$1\" ] || exit " + MISSING + "; exec cat -- \"$1\"", List.of(path), null, "path");
    }

    @Override
    public void write(String path, byte[] content) {
        // Written next to it, then renamed over it: a shell never sees half a file, and a full tree
        // leaves the old file as it was. A file that was there keeps its mode (a script its x bit).
        fileOperation("umask 022; d=$(dirname -- \"$1\"); mkdir -p -- \"$d\" || exit 1; [ -d \"$1\" ] && exit " + FOLDER + "; "
                + "t=\"$d/.cloudrun-write-$$\"; if cat > \"$t\"; then { [ ! -f \"$1\" ] || chmod --reference=\"$1\" -- \"$t\"; } "
                + "&& mv -f -- \"$t\" \"$1\"; else rm -f -- \"$t\"; exit 1; fi",
                List.of(path), content, "path");
    }

    @Override
    public void delete(String path) {
        fileOperation("[ -e \"$1\" ] || [ -L \"$1\" ] || exit " + MISSING + "; exec rm -rf -- \"$1\"", List.of(path), null, "path");
    }

    @Override
    public void rename(String from, String to) {
        fileOperation("[ -e \"$1\" ] || [ -L \"$1\" ] || exit " + MISSING + "; mkdir -p -- \"$(dirname -- \"$2\")\" && "
                + "exec mv -T -- \"$1\" \"$2\"", List.of(from, to), null, "from");
    }

    /**
     * Runs a small script with the image's tools inside a sandbox on the tree, as uid 1000, in
     * {@code /work}: whatever links user code planted there lead nowhere outside the sandbox.
     *
     * @param script the {@code sh -c} script; its arguments are {@code $1}, {@code $2}
     * @param arguments the checked relative paths
     * @param stdin what the script reads, or null
     * @param field the request field a missing path is reported against
     * @return what the script wrote to stdout
     */
    private byte[] fileOperation(String script, List<String> arguments, byte[] stdin, String field) {
        checkOpen();
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", script, "cloudrun-file"));
        command.addAll(arguments);
        Limits limits = Limits.defaults().withMemoryBytes(Math.min(spec.memoryBytes(), 256L << 20))
                .withMaxProcesses(Math.min(spec.maxProcesses(), 16)).withCpuTime(FILE_OPERATION_TIME)
                .withWallTime(FILE_OPERATION_TIME).withMaxFileSizeBytes(NO_FILE_SIZE_LIMIT);
        StepSpec step = new StepSpec(StepSpec.Kind.RUN, command, Map.of(), limits, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        OutputSink sink = (stream, buffer, offset, length) -> {
            synchronized (out) {
                (stream == StreamKind.STDOUT ? out : err).write(buffer, offset, length);
            }
        };
        SandboxProcess process = sandbox.start(step, sink);
        try {
            try (OutputStream in = process.stdin()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            } catch (IOException e) {
                // The script ended early (a folder in the way): its status says why.
            }
            Optional<StepOutcome> outcome = process.await(FILE_OPERATION_TIME);
            if (outcome.isEmpty()) {
                process.kill();
                throw new CloudRunException("a file operation in workspace " + spec.id() + " took longer than "
                        + FILE_OPERATION_TIME.toSeconds() + " s");
            }
            int exit = outcome.get().exitCode();
            String errors;
            synchronized (out) {
                errors = err.toString(StandardCharsets.UTF_8).strip();
            }
            if (exit == MISSING) {
                throw new InvalidRequestException(field, "no such file in the workspace: " + arguments.get(0));
            }
            if (exit == FOLDER) {
                throw new InvalidRequestException(field, "is a folder: " + arguments.get(0));
            }
            if (exit != 0) {
                if (errors.contains("No space left on device") || errors.contains("Disc quota exceeded")) {
                    throw new InvalidRequestException("content", "the workspace's file tree is full (its cap is "
                            + spec.diskBytes() + " bytes)");
                }
                if (outcome.get().oomKilled() || exit == 125) {
                    throw new CloudRunException("the workspace is at its memory or process limit; the file operation "
                            + "could not run");
                }
                throw new InvalidRequestException(field, errors.isEmpty() ? "the file operation failed (exit " + exit + ")"
                        : errors.replace("cloudrun-file: ", ""));
            }
            synchronized (out) {
                return out.toByteArray();
            }
        } catch (InterruptedException e) {
            process.kill();
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted during a file operation", e);
        }
    }

    @Override
    public int processCount() {
        return closed ? 0 : (int) cgroup.processCount();
    }

    /** @return the workspace's id */
    String id() {
        return spec.id();
    }

    /** @return the memory the workspace's processes and tree use now, in bytes */
    long memoryBytes() {
        return cgroup.currentMemoryBytes();
    }

    private void checkOpen() {
        if (closed) {
            throw new CloudRunException("workspace " + spec.id() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Everything in the workspace at once, daemons and processes that ignore SIGHUP included.
        cgroup.killAll();
        for (LocalTerminal terminal : List.copyOf(terminals)) {
            terminal.hangUp();
        }
        sandbox.close();
        cgroup.destroy();
        backend.closed(this);
    }
}
