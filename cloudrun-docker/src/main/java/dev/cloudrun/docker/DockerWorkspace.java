package dev.cloudrun.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Ulimit;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Limits;
import dev.cloudrun.StreamKind;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxProcess;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A terminal workspace on Docker: one long-lived container per workspace, hardened as run
 * containers are (user 1000, every capability dropped, {@code no-new-privileges}, CloudRun's
 * seccomp profile, read-only root, memory with no swap on top, a CPU quota, a pids limit,
 * {@code --init}, network none unless asked and then behind the runs' fence). Its file tree is a
 * tmpfs of the container's own at {@code /work}, capped by the kernel at the spec's disk size and
 * owned by user 1000; the container's init keeps a {@code sleep} as its only child while nothing
 * else runs, both as {@code nobody}, so that user code (user 1000) cannot signal them and end the
 * workspace under its other terminals.
 *
 * <p>Everything happens inside it by {@code docker exec} as user 1000 ({@link WorkspaceExec}):
 * shells on pseudo-terminals of the container's own devpts ({@link DockerTerminal}), steps of runs
 * ({@link DockerWorkspaceStep}), and the file operations ({@code tar -x} for the starting files,
 * {@code cat}, {@code find -printf}, {@code rm}, {@code mv}), so the host never opens a path user
 * code could have replaced with a symlink. Closing removes the container with force: the kernel
 * kills every process in it (a daemon that left its session, one that ignores SIGHUP) and drops the
 * tmpfs with it; nothing is mounted on the host.
 *
 * <p>With network off, the container is usually one the {@link WorkspacePool} created and started
 * ahead, exactly as this class would have, and that nothing but its {@code sleep} has run in; it
 * serves this workspace only and goes at its close.
 */
final class DockerWorkspace implements WorkspaceSandbox {
    /** Value of {@link DockerSandboxBackend#LABEL_ROLE} on workspace containers. */
    static final String ROLE = "workspace";
    private static final String PATH = "PATH=/usr/local/bin:/usr/bin:/bin";
    /** What a file operation may take at most; a FIFO planted by user code must not hang the API. */
    private static final Duration FILE_OPERATION_TIMEOUT = Duration.ofSeconds(30);
    /** The user of the container's init and its {@code sleep}: nobody, not the programs' user 1000. */
    static final int KEEPER_UID = 65534;
    /** Room in the pids cgroup for the init, its {@code sleep} and a file operation beside the programs. */
    private static final int OWN_PROCESSES = 4;
    /** Host threads per sandboxed process that the pids cgroup must allow under gVisor's ptrace platform. */
    private static final long GVISOR_HOST_TASKS_PER_PROCESS = 10;

    private static final String WRITE = """
            echo $$
            case $1 in */*) mkdir -p -- "${1%/*}" || exit 3 ;; esac
            if [ -d "$1" ]; then echo "is a folder" >&2; exit 4; fi
            _tmp="${1%/*}/.cloudrun-write-$$"; case $1 in */*) ;; *) _tmp=".cloudrun-write-$$" ;; esac
            if cat > "$_tmp" && mv -f -- "$_tmp" "$1"; then exit 0; fi
            rm -f -- "$_tmp"; exit 5
            """;
    private static final String READ = """
            echo $$
            if [ ! -f "$1" ]; then echo "not a regular file" >&2; exit 4; fi
            exec timeout 20 cat -- "$1"
            """;
    private static final String LIST = """
            echo $$
            exec timeout 20 find . -mindepth 1 \\( -type d -printf 'd 0 %P\\0' \\) -o \\( -type f -printf 'f %s %P\\0' \\)
            """;
    private static final String DELETE = """
            echo $$
            exec rm -rf -- "$1"
            """;
    private static final String RENAME = """
            echo $$
            if [ ! -e "$1" ] && [ ! -L "$1" ]; then echo "no such file or folder" >&2; exit 4; fi
            case $2 in */*) mkdir -p -- "${2%/*}" || exit 3 ;; esac
            exec mv -T -- "$1" "$2"
            """;
    private static final String EXTRACT = """
            echo $$
            exec tar -x -f - -C /work
            """;
    private static final String COUNT = """
            echo $$
            set -- /proc/[0-9]*
            echo $(($# - 1))
            """;

    private final DockerSandboxBackend backend;
    private final WorkspaceSandboxSpec spec;
    private final String containerId;
    private final Runnable releaseNetwork;
    private final Set<DockerTerminal> terminals = ConcurrentHashMap.newKeySet();
    private final Set<DockerWorkspaceStep> steps = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private DockerWorkspace(DockerSandboxBackend backend, WorkspaceSandboxSpec spec, String containerId,
                            Runnable releaseNetwork) {
        this.backend = backend;
        this.spec = spec;
        this.containerId = containerId;
        this.releaseNetwork = releaseNetwork;
    }

    /**
     * Takes a pooled container or creates and starts one, and puts the starting files in (before
     * anything untrusted runs).
     *
     * @param backend the backend
     * @param spec the workspace
     * @param pool the workspace pool, or null when off
     * @return the running workspace
     */
    static DockerWorkspace create(DockerSandboxBackend backend, WorkspaceSandboxSpec spec, WorkspacePool pool) {
        String image = spec.language().image().orElseThrow(() -> new BackendUnavailableException(
                "language " + spec.language().id() + " has no Docker image in languages.json"));
        String pooled = pool == null || spec.network() ? null : pool.take(spec, image);
        DockerWorkspace workspace;
        if (pooled != null) {
            backend.phase("pooled container taken");
            workspace = new DockerWorkspace(backend, spec, pooled, () -> { });
        } else {
            List<Runnable> releases = new ArrayList<>();
            Runnable release = () -> releases.forEach(Runnable::run);
            String name = "cloudrun-ws-" + safeName(spec.id()) + "-" + UUID.randomUUID().toString().substring(0, 8);
            String containerId;
            try {
                String network = backend.network().prepare(new StepSpec(StepSpec.Kind.RUN, List.of("true"), Map.of(),
                        Limits.defaults(), spec.network(), List.of(), spec.privateEndpoints(), false), releases::add);
                containerId = createContainer(backend, spec, image, name, network);
                backend.phase("container created");
            } catch (RuntimeException e) {
                release.run();
                throw e;
            }
            workspace = new DockerWorkspace(backend, spec, containerId, release);
            try {
                startContainer(backend, containerId, name);
                backend.phase("container started");
            } catch (RuntimeException e) {
                workspace.close();
                throw e;
            }
        }
        try {
            if (!spec.files().isEmpty()) {
                byte[] tar = WorkspaceTar.pack(spec.files(), backend.options().uid(), backend.options().gid());
                Result extracted = workspace.operation(EXTRACT, List.of(), tar);
                if (extracted.exitCode != 0) {
                    throw new CloudRunException("cannot put the starting files into the workspace: "
                            + extracted.errorText());
                }
            }
        } catch (RuntimeException e) {
            workspace.close();
            throw e instanceof CloudRunException ? e : new CloudRunException("cannot start the workspace container: "
                    + backend.endpoint().explain(e), e);
        }
        return workspace;
    }

    /**
     * Creates and starts a container for the {@link WorkspacePool}: the one {@link #create} makes for
     * a workspace with network off, named and labelled as the pool's.
     *
     * @param backend the backend
     * @param template the pool's spec of the profile (no files, network off)
     * @param image the image
     * @param created receives the container's id as soon as it exists, before it starts
     * @return the running container's id
     */
    static String startPooledContainer(DockerSandboxBackend backend, WorkspaceSandboxSpec template, String image,
                                       Consumer<String> created) {
        String name = "cloudrun-ws-" + DockerPool.RUN_LABEL + "-" + UUID.randomUUID().toString().substring(0, 8);
        String containerId = createContainer(backend, template, image, name, "none");
        created.accept(containerId);
        try {
            startContainer(backend, containerId, name);
        } catch (RuntimeException e) {
            backend.janitor().removeContainer(containerId);
            throw e;
        }
        return containerId;
    }

    /** Creates the container (not started); a missing image says how to build it. */
    private static String createContainer(DockerSandboxBackend backend, WorkspaceSandboxSpec spec, String image,
                                          String name, String network) {
        try {
            CreateContainerCmd create = createContainerCmd(backend, spec, image, name, network);
            String containerId = backend.withinStartTimeout("create container " + name,
                    backend.runtimes().forContainer(!"none".equals(network)), () -> create.exec().getId());
            return containerId;
        } catch (NotFoundException e) {
            throw new BackendUnavailableException("Docker image " + image + " is missing: run ./cloudrun images build"
                    + " (or images/build.sh) to build the language images", e);
        } catch (CloudRunException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CloudRunException("cannot create the workspace container from " + image + ": "
                    + backend.endpoint().explain(e), e);
        }
    }

    private static void startContainer(DockerSandboxBackend backend, String containerId, String name) {
        try {
            backend.withinStartTimeout("start container " + name, null, () -> {
                backend.client().startContainerCmd(containerId).exec();
                return null;
            });
        } catch (CloudRunException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CloudRunException("cannot start the workspace container: " + backend.endpoint().explain(e), e);
        }
    }

    private static CreateContainerCmd createContainerCmd(DockerSandboxBackend backend, WorkspaceSandboxSpec spec,
                                                         String image, String name, String network) {
        DockerBackendOptions options = backend.options();
        boolean gvisor = backend.runtimes().gvisor();
        // Under gVisor the pids cgroup counts host threads, not the sandbox's processes (RLIMIT_NPROC counts those):
        // on the ptrace platform each sandboxed process costs about 8 (measured: 53 idle, 141 with 11 processes,
        // 398 with 42), and a Sentry that cannot make one dies with every terminal of the workspace.
        long pids = gvisor ? GVISOR_HOST_TASKS_PER_PROCESS * spec.maxProcesses() + 128
                : (long) spec.maxProcesses() + OWN_PROCESSES;
        // No file-size ulimit: the tree's tmpfs is the cap, and a full tree answers ENOSPC as a disk does.
        List<Ulimit> ulimits = new ArrayList<>(List.of(
                new Ulimit("nofile", 1024L, 1024L),
                new Ulimit("core", 0L, 0L)));
        if (gvisor) {
            ulimits.add(new Ulimit("nproc", (long) spec.maxProcesses(), (long) spec.maxProcesses()));
        }
        HostConfig host = HostConfig.newHostConfig()
                .withInit(true)
                .withPrivileged(false)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(backend.runtimes().securityOptions())
                .withNetworkMode(network)
                .withRuntime(backend.runtimes().forContainer(!"none".equals(network)))
                .withMemory(spec.memoryBytes())
                .withMemorySwap(spec.memoryBytes())
                .withOomScoreAdj(DockerSandbox.SANDBOX_OOM_SCORE_ADJ)
                .withNanoCPUs((long) (spec.cpus() * 1_000_000_000L))
                .withPidsLimit(pids)
                .withUlimits(ulimits)
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of(
                        DockerSandbox.WORK_DIR, "rw,nosuid,nodev,mode=0755,uid=" + options.uid() + ",gid=" + options.gid()
                                + ",size=" + spec.diskBytes(),
                        "/tmp", "rw,nosuid,nodev,noexec,mode=1777,size=" + options.tmpBytes()))
                .withShmSize(options.tmpBytes())
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE));
        Map<String, String> labels = new LinkedHashMap<>(backend.labels(spec.id()));
        labels.put(DockerSandboxBackend.LABEL_ROLE, ROLE);
        return backend.client().createContainerCmd(image)
                .withName(name)
                .withLabels(labels)
                // The init and its sleep run as nobody, so that what user 1000 runs cannot signal them
                // and end the workspace; every process started in it (execs) is user 1000.
                .withUser(KEEPER_UID + ":" + KEEPER_UID)
                .withWorkingDir(DockerSandbox.WORK_DIR)
                .withHostName("workspace")
                .withEntrypoint(List.of())
                .withCmd(List.of("sleep", "infinity"))
                .withEnv(List.of(PATH, "HOME=" + DockerSandbox.WORK_DIR, "LANG=C.UTF-8"))
                .withTty(false)
                .withHostConfig(host);
    }

    private static String safeName(String id) {
        String cleaned = id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    /** @return the container's id */
    String containerId() {
        return containerId;
    }

    /** @return the spec it was made from */
    WorkspaceSandboxSpec spec() {
        return spec;
    }

    /** @return the environment of every process started in it, and {@code extra} */
    static List<String> environment(Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", DockerSandbox.WORK_DIR);
        env.put("LANG", "C.UTF-8");
        env.putAll(extra);
        List<String> list = new ArrayList<>();
        env.forEach((key, value) -> list.add(key + "=" + value));
        return list;
    }

    private void checkOpen() {
        if (closed) {
            throw new CloudRunException("the workspace is closed");
        }
    }

    @Override
    public TerminalProcess openTerminal(int columns, int rows, TerminalSink sink) {
        checkOpen();
        if (columns <= 0 || rows <= 0) {
            throw new InvalidRequestException(columns <= 0 ? "columns" : "rows", "must be positive");
        }
        DockerTerminal terminal = DockerTerminal.open(backend, containerId, spec.maxProcesses(), columns, rows, sink,
                terminals::remove);
        terminals.add(terminal);
        if (closed) {
            terminal.hangUp();
        }
        return terminal;
    }

    @Override
    public SandboxProcess start(StepSpec step, OutputSink sink) {
        checkOpen();
        if (step.network() && !spec.network()) {
            // A running container cannot join a network: the workspace decides, when it is opened.
            throw new InvalidRequestException("network", "this workspace was opened with network off;"
                    + " open it with network on to run programs that use the network");
        }
        DockerWorkspaceStep process = DockerWorkspaceStep.start(backend, containerId, step, sink, steps::remove);
        steps.add(process);
        return process;
    }

    @Override
    public List<WorkspaceEntry> list() {
        checkOpen();
        Result listed = operation(LIST, List.of(), null);
        if (listed.exitCode != 0) {
            throw new CloudRunException("cannot list the workspace's files: " + listed.errorText());
        }
        List<WorkspaceEntry> entries = new ArrayList<>();
        String text = listed.stdout.toString(StandardCharsets.UTF_8);
        for (String record : text.split("\0")) {
            if (record.length() < 4) {
                continue;
            }
            int space = record.indexOf(' ', 2);
            if (space < 0) {
                continue;
            }
            entries.add(new WorkspaceEntry(record.substring(space + 1), record.charAt(0) == 'd',
                    Long.parseLong(record.substring(2, space))));
        }
        return entries;
    }

    @Override
    public byte[] read(String path) {
        checkOpen();
        Result read = operation(READ, List.of(path), null);
        if (read.exitCode == 4) {
            throw new InvalidRequestException("path", "no such file in the workspace: " + path);
        }
        if (read.exitCode != 0) {
            throw new CloudRunException("cannot read " + path + " from the workspace: " + read.errorText());
        }
        return read.stdout.toByteArray();
    }

    @Override
    public void write(String path, byte[] content) {
        checkOpen();
        Result written = operation(WRITE, List.of(path), content);
        if (written.exitCode == 4) {
            throw new InvalidRequestException("path", path + " is a folder in the workspace");
        }
        if (written.exitCode != 0 && written.errorText().contains("No space left on device")) {
            throw new InvalidRequestException("content", "the workspace's file tree is full: its cap is "
                    + spec.diskBytes() + " bytes, and " + path + " (" + content.length + " bytes) does not fit");
        }
        if (written.exitCode != 0) {
            throw new InvalidRequestException("path", "cannot write " + path + " in the workspace: " + written.errorText());
        }
    }

    @Override
    public void delete(String path) {
        checkOpen();
        Result deleted = operation(DELETE, List.of(path), null);
        if (deleted.exitCode != 0) {
            throw new CloudRunException("cannot delete " + path + " in the workspace: " + deleted.errorText());
        }
    }

    @Override
    public void rename(String from, String to) {
        checkOpen();
        Result renamed = operation(RENAME, List.of(from, to), null);
        if (renamed.exitCode == 4) {
            throw new InvalidRequestException("from", "no such file or folder in the workspace: " + from);
        }
        if (renamed.exitCode != 0) {
            throw new InvalidRequestException("to", "cannot rename " + from + " to " + to + ": " + renamed.errorText());
        }
    }

    @Override
    public int processCount() {
        if (closed) {
            return 0;
        }
        Result counted = operation(COUNT, List.of(), null);
        if (counted.exitCode != 0) {
            throw new CloudRunException("cannot count the workspace's processes: " + counted.errorText());
        }
        return Integer.parseInt(counted.stdout.toString(StandardCharsets.UTF_8).strip());
    }

    /** What a file operation printed and how it ended. */
    private record Result(int exitCode, ByteArrayOutputStream stdout, ByteArrayOutputStream stderr) {
        String errorText() {
            String text = stderr.toString(StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "exit code " + exitCode : text;
        }
    }

    /** Runs a short script in the container as user 1000, feeding it {@code input} (or nothing). */
    private Result operation(String script, List<String> arguments, byte[] input) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        long cap = spec.diskBytes() + (1 << 20);
        OutputSink sink = (stream, buffer, offset, length) -> {
            ByteArrayOutputStream target = stream == StreamKind.STDERR ? stderr : stdout;
            synchronized (target) {
                if (target.size() + length <= cap) {
                    target.write(buffer, offset, length);
                }
            }
        };
        WorkspaceExec exec = WorkspaceExec.start(backend, containerId, script, arguments, environment(Map.of()), false, sink);
        try {
            try (OutputStream stdin = exec.stdin()) {
                if (input != null) {
                    stdin.write(input);
                }
            } catch (IOException e) {
                // It stopped reading (the tree is full, or it failed): its exit code says why.
            }
            OptionalInt code = exec.await(FILE_OPERATION_TIMEOUT);
            if (code.isEmpty()) {
                exec.endSession();
                exec.closeStreams();
                throw new CloudRunException(closed ? "the workspace is closed" : "a file operation in the workspace"
                        + " did not finish within " + FILE_OPERATION_TIMEOUT.toSeconds() + " s"
                        + (exec.failure() == null ? "" : ": " + exec.failure()));
            }
            return new Result(code.getAsInt(), stdout, stderr);
        } catch (InterruptedException e) {
            exec.closeStreams();
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted during a file operation in the workspace", e);
        }
    }

    /**
     * @return descriptions of the exec sessions this workspace still tracks (terminals and steps
     *     whose streams have not ended); empty after a clean close
     */
    List<String> openExecs() {
        List<String> found = new ArrayList<>();
        terminals.stream().filter(terminal -> !terminal.ended()).forEach(terminal -> found.add("terminal exec "
                + terminal.execId() + " in workspace container " + WorkspaceExec.shortId(containerId)));
        steps.stream().filter(step -> !step.ended()).forEach(step -> found.add("step exec "
                + step.execId() + " in workspace container " + WorkspaceExec.shortId(containerId)));
        return found;
    }

    /** @return the memory its container is charged now, from its cgroup on this host, or -1 if not readable */
    long memoryBytes() {
        return ContainerCgroup.find(containerId).map(ContainerCgroup::memoryBytes).orElse(-1L);
    }

    /**
     * Removes the container with force (the kernel kills everything in it, the tmpfs goes with it),
     * then waits until every terminal's and step's stream has ended. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        backend.janitor().removeContainer(containerId);
        releaseNetwork.run();
        for (DockerTerminal terminal : List.copyOf(terminals)) {
            terminal.awaitStreamEnd(Duration.ofSeconds(10));
        }
        for (DockerWorkspaceStep step : List.copyOf(steps)) {
            step.awaitStreamEnd(Duration.ofSeconds(10));
        }
        backend.closed(this);
    }
}
