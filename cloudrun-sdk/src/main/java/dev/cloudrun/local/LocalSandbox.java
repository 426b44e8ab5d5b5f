package dev.cloudrun.local;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Limits;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's workspace on this host. Layout of its folder (mode 0711, owned by the JVM's user):
 * {@code work/} is the workspace (a fresh tmpfs owned by the sandbox uid when the JVM is root),
 * {@code passwd} and {@code group} are the sandbox's account files. Files are written only here, in
 * {@link #create}, before anything untrusted has run.
 */
final class LocalSandbox implements Sandbox {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSandbox.class);
    /** The uid and gid the program sees inside the sandbox. */
    static final int INNER_UID = 1000;
    /** The highest OOM-killer score, given to every sandboxed process: under host memory pressure they die first. */
    static final int OOM_SCORE_ADJ = 1000;

    private final LocalSandboxBackend backend;
    /** The run's spec; for a pre-started sandbox, a stand-in until a run adopts it. */
    private SandboxSpec spec;
    private final Path dir;
    private final Path work;
    private final boolean mounted;
    /** The workspace cgroup its steps' cgroups are made below, or null for a run's sandbox. */
    private final String cgroupParent;
    private final Set<LocalProcess> processes = ConcurrentHashMap.newKeySet();
    private int steps;
    /** Whether a run has started a step here (a pre-started step does not count). */
    private boolean started;
    private boolean closed;
    /** The pre-started run step waiting for its main file, until the first step takes or discards it. */
    private Warm warm;

    /**
     * A runtime started ahead of its run and blocked reading its main file, which is a FIFO until
     * then (see {@link WarmRuntimes}).
     *
     * @param step the run step it was started as; only that very step may take it
     * @param mainFile the main file's name in the workspace
     * @param process the interpreter, its output not read yet
     * @param fifo the host's end of the main file's FIFO (open read-write, so neither side blocks)
     * @param content the adopting run's main file, or null before adoption
     * @param staged a regular file holding {@code content}, renamed over the FIFO when the step starts
     */
    private record Warm(StepSpec step, String mainFile, LocalProcess process, java.nio.channels.FileChannel fifo,
                        byte[] content, Path staged) {
        Warm adopted(byte[] mainContent, Path stagedFile) {
            return new Warm(step, mainFile, process, fifo, mainContent, stagedFile);
        }
    }

    private LocalSandbox(LocalSandboxBackend backend, SandboxSpec spec, Path dir, Path work, boolean mounted,
                         String cgroupParent) {
        this.backend = backend;
        this.cgroupParent = cgroupParent;
        this.spec = spec;
        this.dir = dir;
        this.work = work;
        this.mounted = mounted;
    }

    static LocalSandbox create(SandboxSpec spec, LocalSandboxBackend backend) {
        return create(spec, backend, null);
    }

    /**
     * Creates a workspace's sandbox: its folder and size-capped tree as a run's, its steps and
     * terminals in cgroups below the workspace's cgroup, never pre-started.
     *
     * @param spec the workspace's id, language, starting files and tree cap
     * @param cgroupParent the name of the workspace's cgroup
     */
    static LocalSandbox createForWorkspace(SandboxSpec spec, LocalSandboxBackend backend, String cgroupParent) {
        return create(spec, backend, cgroupParent);
    }

    private static LocalSandbox create(SandboxSpec spec, LocalSandboxBackend backend, String cgroupParent) {
        Path dir = backend.instanceDir().resolve(spec.runId());
        Path work = dir.resolve("work");
        boolean root = backend.tools().root();
        boolean mounted = false;
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Files.createDirectory(work, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (root) {
                int uid = backend.options().sandboxUid();
                Mounts.mountTmpfs(work, spec.workspaceBytes(), uid, uid, "0700");
                mounted = true;
            }
            writeAccounts(dir);
            writeFiles(work, spec.files(), spec.executables(), root ? backend.options().sandboxUid() : -1);
        } catch (IOException | RuntimeException e) {
            new LocalSandbox(backend, spec, dir, work, mounted, cgroupParent).removeFolder();
            throw new CloudRunException("cannot prepare the sandbox workspace: " + e.getMessage(), e);
        }
        return new LocalSandbox(backend, spec, dir, work, mounted, cgroupParent);
    }

    private static void writeAccounts(Path dir) throws IOException {
        Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "runner:x:" + INNER_UID + ":" + INNER_UID + ":runner:/work:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("group"), "root:x:0:\nrunner:x:" + INNER_UID + ":\nnogroup:x:65534:\n",
                StandardCharsets.UTF_8);
        for (String name : List.of("passwd", "group")) {
            Files.setPosixFilePermissions(dir.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void writeFiles(Path work, Map<String, byte[]> files, java.util.Set<String> executables, int ownerUid) throws IOException {
        dev.cloudrun.internal.WorkspaceFiles.write(work, files, executables, ownerUid, ownerUid);
    }

    private static void chown(Path path, int uid) throws IOException {
        dev.cloudrun.internal.WorkspaceFiles.own(path, uid, uid);
    }

    @Override
    public synchronized SandboxProcess start(StepSpec step, OutputSink sink) {
        if (closed) {
            throw new CloudRunException("the sandbox is closed");
        }
        if (cgroupParent != null) {
            return launch(step, sink);
        }
        boolean firstOfRun = !started;
        started = true;
        if (warm != null) {
            Warm waiting = warm;
            warm = null;
            if (waiting.step().equals(step) && waiting.process().alive() && release(waiting)) {
                waiting.process().attach(sink);
                backend.warmRuntimes().served();
                return waiting.process();
            }
            discard(waiting);
        }
        if (step.kind() == StepSpec.Kind.RUN || (step.kind() == StepSpec.Kind.COMPILE && firstOfRun)) {
            // A run step, or a compile step that opens the sandbox, that started cold: the next
            // sandboxes are pre-started as this one.
            backend.warmRuntimes().learn(spec, step);
        }
        return launch(step, sink);
    }

    /** Starts a step; with a null sink, pre-started (its output not read until attached). */
    private LocalProcess launch(StepSpec step, OutputSink sink) {
        String stepName = spec.runId() + "-" + (++steps) + "-" + step.kind().name().toLowerCase(java.util.Locale.ROOT);
        Cgroup cgroup = null;
        Runnable releaseNetwork = () -> { };
        try {
            if (step.network() && backend.sandboxed()) {
                releaseNetwork = backend.prepareNetwork(step);
            }
            if (backend.cgroups().isPresent()) {
                cgroup = backend.cgroups().get().create(cgroupName(stepName), step.limits());
            }
            List<String> command = command(step, cgroup, false);
            ProcessBuilder builder = new ProcessBuilder(command).directory(backend.sandboxed() ? dir.toFile() : work.toFile());
            builder.environment().clear();
            if (!backend.sandboxed()) {
                builder.environment().putAll(environment(step));
            }
            Runnable release = releaseNetwork;
            Cgroup stepCgroup = cgroup;
            java.util.function.Consumer<LocalProcess> onDestroyed = exited -> {
                processes.remove(exited);
                release.run();
                if (stepCgroup != null) {
                    // Killed and measured already; the kernel may take a while to let go of the dying
                    // processes (rmdir retries meanwhile), which need not hold up the run.
                    backend.removeLater(stepCgroup::destroy);
                }
            };
            LocalProcess process = sink == null ? LocalProcess.prestart(builder, cgroup, backend.ioThreads(), onDestroyed)
                    : LocalProcess.start(builder, cgroup, sink, backend.ioThreads(), onDestroyed);
            processes.add(process);
            return process;
        } catch (IOException | RuntimeException e) {
            releaseNetwork.run();
            if (cgroup != null) {
                cgroup.destroy();
            }
            if (e instanceof dev.cloudrun.spi.UnreachableEndpointException unreachable) {
                throw unreachable;
            }
            throw new CloudRunException("cannot start the sandbox: " + e.getMessage(), e);
        }
    }

    private String cgroupName(String stepName) {
        return cgroupParent == null ? stepName : cgroupParent + "/" + stepName;
    }

    /**
     * Starts an interactive shell on a pseudo-terminal of its own: the host's end (the master)
     * stays in this JVM, the slave becomes the controlling terminal of a new session that only
     * this shell's sandbox holds (never the JVM's terminal). The command inside is expected to make
     * the shell's own terminal in the sandbox's {@code devpts} ({@code script}), which follows this
     * one's size.
     *
     * @param step the shell step (its command run as is, no redirections)
     * @param columns the width
     * @param rows the height
     * @param sink receives the terminal's output
     * @param onEnded told once, when the shell has ended and what was left of it is killed
     */
    synchronized LocalTerminal openTerminal(StepSpec step, int columns, int rows, dev.cloudrun.spi.TerminalSink sink,
                                            Runnable onEnded) {
        if (closed) {
            throw new CloudRunException("the sandbox is closed");
        }
        String stepName = spec.runId() + "-" + (++steps) + "-terminal";
        Cgroup cgroup = null;
        Runnable releaseNetwork = () -> { };
        try {
            if (step.network() && backend.sandboxed()) {
                releaseNetwork = backend.prepareNetwork(step);
            }
            if (backend.cgroups().isPresent()) {
                cgroup = backend.cgroups().get().create(cgroupName(stepName), step.limits());
            }
            List<String> command = command(step, cgroup, true);
            Runnable release = releaseNetwork;
            Cgroup terminalCgroup = cgroup;
            return LocalTerminal.start(command, dir, columns, rows, cgroup, sink, backend.ioThreads(), () -> {
                release.run();
                if (terminalCgroup != null) {
                    backend.removeLater(terminalCgroup::destroy);
                }
                onEnded.run();
            });
        } catch (IOException | RuntimeException e) {
            releaseNetwork.run();
            if (cgroup != null) {
                cgroup.destroy();
            }
            throw new CloudRunException("cannot start the terminal: " + e.getMessage(), e);
        }
    }

    /**
     * Opens an empty sandbox whose main file is a FIFO and starts a run step in it, which blocks in
     * the interpreter's read of its program: everything an interpreter does before it reads its main
     * file (loading itself, its standard library's start-up) is done before the run exists.
     *
     * @param stand the sandbox's stand-in spec (an id of its own, the language, no files)
     * @param mainFile the main file's name, as the step's command names it
     * @param step the run step to start, exactly as the run will ask for it
     */
    static LocalSandbox prestart(SandboxSpec stand, LocalSandboxBackend backend, String mainFile, StepSpec step) {
        LocalSandbox sandbox = create(stand, backend);
        java.nio.channels.FileChannel fifo = null;
        try {
            Path main = sandbox.work.resolve(mainFile);
            dev.cloudrun.internal.HostCommand.Result made = dev.cloudrun.internal.HostCommand.run(
                    List.of("mkfifo", "-m", "0644", main.toString()), java.time.Duration.ofSeconds(10));
            if (made.exitCode() != 0) {
                throw new IOException("mkfifo failed: " + made.output().strip());
            }
            if (backend.tools().root()) {
                chown(main, backend.options().sandboxUid());
            }
            // Read-write: the open blocks neither here nor in the interpreter, which then waits in read().
            fifo = java.nio.channels.FileChannel.open(main, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            synchronized (sandbox) {
                LocalProcess process = sandbox.launch(step, null);
                sandbox.warm = new Warm(step, mainFile, process, fifo, null, null);
            }
            return sandbox;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(fifo);
            sandbox.close();
            throw new CloudRunException("interrupted while pre-starting a runtime", e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fifo);
            sandbox.close();
            throw new CloudRunException("cannot pre-start a " + stand.language().id() + " runtime: " + e.getMessage(), e);
        }
    }

    /**
     * Makes a pre-started sandbox a run's: writes its files (the main file to a staged name, to take
     * the FIFO's place when the run step starts). Nothing untrusted has run here yet.
     *
     * @param run the run's spec; it holds the main file the sandbox was started for
     */
    synchronized void adopt(SandboxSpec run) {
        String mainFile = warm.mainFile();
        Map<String, byte[]> others = new java.util.LinkedHashMap<>(run.files());
        byte[] content = others.remove(mainFile);
        int owner = backend.tools().root() ? backend.options().sandboxUid() : -1;
        try {
            writeFiles(work, others, run.executables(), owner);
            Path staged = work.resolve(".cloudrun-main-" + java.util.UUID.randomUUID());
            writeFiles(work, Map.of(staged.getFileName().toString(), content),
                    run.executables().contains(mainFile) ? Set.of(staged.getFileName().toString()) : Set.of(), owner);
            this.spec = run;
            this.warm = warm.adopted(content, staged);
        } catch (IOException e) {
            throw new CloudRunException("cannot prepare the sandbox workspace: " + e.getMessage(), e);
        }
    }

    /** @return the name of the sandbox's folder (its leftovers name it) */
    String folderName() {
        return dir.getFileName().toString();
    }

    /** @return whether this sandbox still holds a pre-started step no run has adopted */
    synchronized boolean waitingForRun() {
        return warm != null && warm.content() == null && !closed;
    }

    /** @return the host pid of the pre-started step, or -1 */
    synchronized long warmPid() {
        return warm == null ? -1 : warm.process().pid();
    }

    /** @return whether the pre-started process is still alive (a runtime that died at start-up is useless) */
    synchronized boolean warmAlive() {
        return warm != null && warm.process().alive();
    }

    /** Puts the main file in place and hands the interpreter its program; false if that failed. */
    private boolean release(Warm waiting) {
        try {
            // The name becomes the regular file before the program can look; the interpreter reads the FIFO it opened.
            Files.move(waiting.staged(), work.resolve(waiting.mainFile()), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(waiting.content());
            while (buffer.hasRemaining()) {
                waiting.fifo().write(buffer);
            }
            waiting.fifo().close();
            return true;
        } catch (IOException e) {
            LOG.warn("could not hand the program to a pre-started runtime: {}", e.toString());
            discard(waiting);
            return false;
        }
    }

    /** Kills a pre-started step that will not be used and leaves the main file a regular file. */
    private void discard(Warm waiting) {
        waiting.process().destroy();
        closeQuietly(waiting.fifo());
        if (waiting.staged() != null && Files.exists(waiting.staged(), LinkOption.NOFOLLOW_LINKS)) {
            try {
                // Still before any step of the run: nothing untrusted has touched the workspace.
                Files.move(waiting.staged(), work.resolve(waiting.mainFile()), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new CloudRunException("cannot prepare the sandbox workspace: " + e.getMessage(), e);
            }
        }
    }

    private static void closeQuietly(java.nio.channels.FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing to do: the FIFO goes with the workspace.
            }
        }
    }

    /** @param terminal whether the step runs on a pseudo-terminal the host made for it (no new session then) */
    private List<String> command(StepSpec step, Cgroup cgroup, boolean terminal) {
        Limits limits = step.limits();
        List<String> command = new ArrayList<>();
        // A shell raises its OOM score to the highest (children inherit it; raising needs no privilege), so the
        // kernel kills sandboxes first when the host runs out of memory; when root, it joins the cgroups too.
        // It then sets the step's rlimits and execs the rest: everything after is scored and limited from its
        // first instruction. With a seccomp filter it also opens the filter as fd 3, which setpriv passes on to
        // bubblewrap's --seccomp 3 (bubblewrap closes it after loading). Each of these saves an exec of its own.
        boolean seccomp = backend.sandboxed() && backend.seccompFilter() != null;
        long cpuSeconds = Math.max(1, (limits.cpuTime().toMillis() + 999) / 1000) + 1;
        long processes = cgroup == null ? HostTools.tasksOfCurrentUser() + limits.maxProcesses() : -1;
        Optional<String> ulimits = backend.tools().dashShell() ? shellLimits(limits, cpuSeconds, processes)
                : Optional.empty();
        command.addAll(List.of("/bin/sh", "-c",
                (seccomp ? "exec 3<\"$0\"; " : "")
                        + "{ echo " + OOM_SCORE_ADJ + " > /proc/self/oom_score_adj; } 2>/dev/null; "
                        + "for f do [ \"$f\" = -- ] && break; echo $$ > \"$f\" || exit 125; shift; done; shift; "
                        + ulimits.map(set -> set + " || { echo 'cloudrun: cannot set the step limits' >&2; exit 126; }; ")
                                .orElse("")
                        + "exec \"$@\"",
                seccomp ? backend.seccompFilter().toString() : "cloudrun-join"));
        if (cgroup != null) {
            cgroup.procsFiles().forEach(file -> command.add(file.toString()));
        }
        command.add("--");
        if (ulimits.isEmpty()) {
            command.add(backend.tools().prlimit());
            command.add("--cpu=" + cpuSeconds + ":" + (cpuSeconds + 1));
            command.add("--fsize=" + limits.maxFileSizeBytes());
            command.add("--nofile=" + limits.maxOpenFiles());
            command.add("--core=0");
            command.add("--stack=" + limits.stackBytes());
            if (processes >= 0) {
                command.add("--nproc=" + processes);
            }
            command.add("--");
        }
        command.addAll(backend.tools().userSwitch(backend.options().sandboxUid()));
        if (backend.sandboxed()) {
            command.addAll(bwrapArguments(step, terminal));
        }
        // Innermost, inside bubblewrap: the program itself gets the merged pipe, bwrap's own errors stay on stderr.
        command.addAll(step.commandWithRedirections());
        return command;
    }

    /**
     * The step's rlimits as dash's {@code ulimit} commands (soft and hard alike, but the CPU time's
     * soft limit a second below its hard one, as {@code prlimit --cpu=S:S+1} sets them), when they
     * say exactly what {@code prlimit} would: dash counts file sizes in 512-byte blocks and the stack
     * in KiB, so a limit that is not a whole number of those is left to {@code prlimit}, and so is a
     * process limit (without cgroups), whose letter differs between shells.
     *
     * @param processes the process limit, or -1 for none (the cgroup counts them)
     * @return the commands joined with {@code &&}, or empty to use {@code prlimit}
     */
    static Optional<String> shellLimits(Limits limits, long cpuSeconds, long processes) {
        long fileSize = limits.maxFileSizeBytes();
        long stack = limits.stackBytes();
        long largest = 1L << 52;
        if (processes >= 0 || fileSize % 512 != 0 || stack % 1024 != 0 || fileSize <= 0 || stack <= 0
                || fileSize > largest || stack > largest || cpuSeconds > largest) {
            return Optional.empty();
        }
        return Optional.of("ulimit -t " + (cpuSeconds + 1) + " && ulimit -S -t " + cpuSeconds
                + " && ulimit -f " + fileSize / 512 + " && ulimit -n " + limits.maxOpenFiles() + " && ulimit -c 0"
                + " && ulimit -s " + stack / 1024);
    }

    private List<String> bwrapArguments(StepSpec step, boolean terminal) {
        List<String> args = new ArrayList<>(List.of(backend.tools().bwrap(), "--unshare-all", "--die-with-parent"));
        if (!terminal) {
            // A session of its own: no terminal of the host's to inject input into (TIOCSTI). A
            // terminal step's session is already a new one, on a pseudo-terminal made for it alone.
            args.add("--new-session");
        }
        args.addAll(List.of("--cap-drop", "ALL", "--clearenv",
                "--unshare-user", "--disable-userns",
                "--uid", Integer.toString(INNER_UID), "--gid", Integer.toString(INNER_UID), "--hostname", "sandbox",
                "--ro-bind", "/usr", "/usr"));
        for (String top : List.of("bin", "lib", "lib32", "lib64", "libx32", "sbin")) {
            Path host = Path.of("/" + top);
            if (Files.isSymbolicLink(host)) {
                try {
                    args.addAll(List.of("--symlink", Files.readSymbolicLink(host).toString(), "/" + top));
                } catch (IOException e) {
                    throw new CloudRunException("cannot read the host's /" + top + " link", e);
                }
            } else if (Files.isDirectory(host)) {
                args.addAll(List.of("--ro-bind", "/" + top, "/" + top));
            }
        }
        for (String entry : backend.options().etcEntries()) {
            args.addAll(List.of("--ro-bind-try", "/etc/" + entry, "/etc/" + entry));
        }
        args.addAll(List.of("--ro-bind", dir.resolve("passwd").toString(), "/etc/passwd",
                "--ro-bind", dir.resolve("group").toString(), "/etc/group"));
        if (step.network()) {
            args.addAll(List.of("--share-net", "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"));
        }
        // bubblewrap's init is pid 1 and runs outside the seccomp filter: /proc/1/mem would let a
        // program write its code (an access ptrace's refusal does not cover), so /proc/1 is an empty folder.
        args.addAll(List.of("--proc", "/proc", "--perms", "0555", "--size", "4096", "--tmpfs", "/proc/1", "--dev", "/dev",
                "--size", Long.toString(spec.workspaceBytes()), "--tmpfs", "/tmp",
                "--bind", work.toString(), "/work", "--chdir", "/work"));
        for (CacheMount mount : step.cacheMounts()) {
            Path folder = backend.packageCaches().folder(mount.cacheKey());
            args.addAll(List.of(mount.writable() ? "--bind" : "--ro-bind", folder.toString(), mount.path()));
        }
        args.addAll(List.of("--remount-ro", "/"));
        if (backend.seccompFilter() != null) {
            args.addAll(List.of("--seccomp", "3"));
        }
        environment(step).forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
        args.add("--");
        return args;
    }

    private Map<String, String> environment(StepSpec step) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", backend.sandboxed() ? "/work" : work.toString());
        env.put("LANG", "C.UTF-8");
        env.put("TMPDIR", backend.sandboxed() ? "/tmp" : work.toString());
        env.putAll(step.env());
        return env;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Warm waiting;
        synchronized (this) {
            waiting = warm;
            warm = null;
        }
        if (waiting != null) {
            closeQuietly(waiting.fifo());
        }
        for (LocalProcess process : List.copyOf(processes)) {
            process.destroy();
        }
        // Every process is dead and its cgroup gone: unmounting and deleting need not hold up the result.
        backend.removeLater(() -> {
            removeFolder();
            backend.closed(this);
        });
    }

    private void removeFolder() {
        if (mounted) {
            Mounts.unmount(work);
        }
        try {
            SafeDelete.tree(dir);
        } catch (IOException e) {
            LOG.warn("could not remove sandbox folder {}: {}", dir, e.toString());
        }
    }
}
