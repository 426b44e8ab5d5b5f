package dev.cloudrun.local;

import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.internal.HostCommand;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.internal.NetworkFence;
import dev.cloudrun.internal.NetworkPolicy;
import dev.cloudrun.internal.OwnFolders;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs programs on this host inside bubblewrap ({@code bwrap}): new user, pid, network, ipc and
 * uts namespaces (and no nested ones), a seccomp filter ({@code SeccompFilter}), no capabilities,
 * a cleared environment, read-only system folders, a private workspace at {@code /work} and a
 * size-limited {@code /tmp}. Memory, process count and CPU time are
 * enforced and measured through cgroups when this JVM can write them (v1 or v2), and rlimits (CPU,
 * file size, open files, no core dumps) always apply.
 *
 * <p>When the JVM runs as root, sandboxes run as an unprivileged host uid ({@link Options#sandboxUid})
 * and each workspace is a fresh size-limited tmpfs, so the host never walks a folder that user code
 * has written to. Steps with network on share the host's network, fenced off this host's own
 * addresses and private networks by iptables rules on that uid ({@link NetworkFence}); when the
 * fence cannot be installed, network-enabled steps are refused unless
 * {@link Options#allowUnfencedNetwork(boolean)} says otherwise.
 */
public final class LocalSandboxBackend implements SandboxBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSandboxBackend.class);
    private static final String SECCOMP_FILE = "seccomp.bpf";

    private final Options options;
    private final boolean sandboxed;
    private final HostTools tools;
    private final Path instanceDir;
    private final PackageCacheFolders packageCaches;
    private final Optional<Cgroups> cgroups;
    /** The seccomp program bubblewrap loads into every sandbox, or null where none is described. */
    private final Path seccompFilter;
    private final NetworkFence fence;
    private final String fenceProblem;
    private final NetworkPolicy networkPolicy = new NetworkPolicy("sandboxes", "this host's services and private networks",
            "LocalSandboxBackend.Options.allowUnfencedNetwork(true)");
    private final ExecutorService ioThreads = Executors.newCachedThreadPool(new NamedThreadFactory("local-io"));
    /**
     * Removes closed sandboxes' workspaces (unmount, delete) after their runs have their results:
     * every process of the sandbox is dead by then, so nothing runs in what is being removed.
     */
    private final ExecutorService cleanUp = Executors.newFixedThreadPool(2, new NamedThreadFactory("local-cleanup"));
    private final Set<LocalSandbox> open = ConcurrentHashMap.newKeySet();
    private final Set<LocalWorkspace> workspaces = ConcurrentHashMap.newKeySet();
    private final WarmRuntimes warmRuntimes;
    private volatile boolean closed;

    private LocalSandboxBackend(Options options, boolean sandboxed) {
        this.options = options;
        this.sandboxed = sandboxed;
        this.warmRuntimes = new WarmRuntimes(this, options.prestart && sandboxed, options.prestartPerLanguage,
                options.prestartTotal, options.prestartIdle);
        this.tools = HostTools.find(sandboxed, options.bwrapPath);
        // The probe comes before anything is created, so a host that cannot sandbox leaks nothing.
        if (sandboxed) {
            probe();
        }
        String instanceName = Cgroups.FOLDER_PREFIX + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        this.packageCaches = new PackageCacheFolders(options.packageCacheDirectory,
                tools.root() ? options.sandboxUid : -1);
        this.instanceDir = createInstanceDir(options.baseDirectory, instanceName);
        Optional<Cgroups> detected = Optional.empty();
        try {
            detected = Cgroups.detect(instanceName);
            this.seccompFilter = sandboxed ? writeSeccompFilter(instanceDir) : null;
        } catch (RuntimeException e) {
            detected.ifPresent(Cgroups::close);
            deleteInstanceDir(instanceDir);
            throw e;
        }
        this.cgroups = detected;
        if (cgroups.isEmpty()) {
            LOG.warn("no writable cgroup hierarchy: memory limits and CPU/memory measurement are unavailable; "
                    + "run as root or give this JVM a delegated cgroup");
        }
        NetworkFence installed = null;
        String problem = null;
        if (sandboxed && tools.root()) {
            try {
                installed = NetworkFence.forSandboxUid(options.sandboxUid);
            } catch (CloudRunException e) {
                problem = e.getMessage();
                LOG.warn("sandboxes with network on cannot be fenced off this host and private networks: {}", problem);
            }
        }
        this.fence = installed;
        this.fenceProblem = problem;
    }

    private static Path writeSeccompFilter(Path instanceDir) {
        Optional<byte[]> program = SeccompFilter.forThisMachine();
        if (program.isEmpty()) {
            LOG.warn("no seccomp filter is described for {}: sandboxes run without one", System.getProperty("os.arch"));
            return null;
        }
        Path file = instanceDir.resolve(SECCOMP_FILE);
        try {
            Files.write(file, program.get(), java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            return file;
        } catch (IOException e) {
            throw new CloudRunException("cannot write the seccomp filter to " + file + ": " + e, e);
        }
    }

    /** @return the seccomp program's file, or null */
    Path seccompFilter() {
        return seccompFilter;
    }

    /**
     * Readies the network for a step with network on: lets it reach the private endpoints it names,
     * or refuses it when it would not be fenced.
     *
     * @return what takes the step's endpoint allowances back
     * @throws CloudRunException if the fence is missing and unfenced network was not allowed
     */
    Runnable prepareNetwork(dev.cloudrun.spi.StepSpec step) {
        if (!tools.root()) {
            // The sandbox runs as this JVM's own user, which no rule could single out.
            networkPolicy.warnUnfencedOnce("a sandbox with network on can reach this host's services and private "
                    + "networks: only a root JVM (sandboxes under their own uid) can fence them off");
            return () -> { };
        }
        return networkPolicy.admit(step.privateEndpoints(), fence, fenceProblem, options.allowUnfencedNetwork);
    }

    /**
     * The sandboxed backend with default options.
     *
     * @return the backend
     * @throws BackendUnavailableException if bubblewrap is missing or cannot create namespaces here
     */
    public static LocalSandboxBackend create() {
        return create(new Options());
    }

    /**
     * The sandboxed backend with the given options.
     *
     * @param options the options
     * @return the backend
     * @throws BackendUnavailableException if bubblewrap is missing or cannot create namespaces here
     */
    public static LocalSandboxBackend create(Options options) {
        return new LocalSandboxBackend(options, true);
    }

    /**
     * A backend with <em>no isolation</em>: programs run as plain processes of this host (as the
     * unprivileged {@link Options#sandboxUid} when the JVM is root), limited only by cgroups and
     * rlimits. They can read whatever that user can read and use the network. Only for trusted code.
     *
     * @return the unsafe backend
     */
    public static LocalSandboxBackend unsafeUnsandboxed() {
        LOG.warn("CloudRun is running programs WITHOUT a sandbox (BackendKind.UNSAFE_UNSANDBOXED)");
        return new LocalSandboxBackend(new Options(), false);
    }

    private static Path createInstanceDir(Path baseDirectory, String instanceName) {
        try {
            requireOwnFolder(baseDirectory);
            sweepStaleDirectories(baseDirectory);
            Path dir = baseDirectory.resolve(instanceName);
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            return dir;
        } catch (IOException e) {
            throw new CloudRunException("cannot create the sandbox folder under " + baseDirectory + ": " + e, e);
        }
    }

    /**
     * Creates a folder (mode 0711) or checks that an existing one is a real folder owned by this
     * user: in a shared /tmp someone else could have made it, or a link, first.
     */
    static void requireOwnFolder(Path folder) {
        try {
            if (!OwnFolders.ensure(folder, HostTools.currentUid())) {
                throw new CloudRunException(folder + " is not a folder owned by this user; remove it or choose "
                        + "another folder in LocalSandboxBackend.Options");
            }
        } catch (IOException e) {
            throw new CloudRunException("cannot create " + folder + ": " + e, e);
        }
    }

    /** Removes the folders (and unmounts the workspaces) of instances whose JVM is gone. */
    private static void sweepStaleDirectories(Path baseDirectory) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(baseDirectory, Cgroups.FOLDER_PREFIX + "*")) {
            for (Path stale : stream) {
                if (!Cgroups.ownerAlive(stale.getFileName().toString())) {
                    for (Path mount : Mounts.under(stale)) {
                        Mounts.unmount(mount);
                    }
                    SafeDelete.tree(stale);
                }
            }
        }
    }

    /** Runs {@code true} in a sandbox once, so that a host that forbids namespaces fails now, clearly. */
    private void probe() {
        List<String> command = new ArrayList<>(tools.userSwitch(options.sandboxUid));
        command.addAll(List.of(tools.bwrap(), "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"));
        try {
            HostCommand.Result result = HostCommand.run(command, Duration.ofSeconds(30));
            String output = result.output().strip();
            if (result.exitCode() != 0) {
                throw new BackendUnavailableException("bubblewrap cannot create a sandbox on this host: " + output
                        + ". Unprivileged user namespaces must be allowed (sysctl kernel.unprivileged_userns_clone=1"
                        + " and user.max_user_namespaces > 0; on Ubuntu 24.04+ also an AppArmor profile for bwrap).");
            }
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot start bubblewrap: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendUnavailableException("interrupted while checking bubblewrap", e);
        }
    }

    @Override
    public String name() {
        return sandboxed ? "local" : "unsafe-unsandboxed";
    }

    /** @return whether memory and process limits are enforced by cgroups (otherwise only rlimits apply) */
    public boolean cgroupsEnabled() {
        return cgroups.isPresent();
    }

    @Override
    public Sandbox open(SandboxSpec spec) {
        if (closed) {
            throw new CloudRunException("the local backend is closed");
        }
        LocalSandbox sandbox = sandboxed ? warmRuntimes.take(spec) : null;
        if (sandbox != null) {
            try {
                sandbox.adopt(spec);
            } catch (RuntimeException e) {
                LOG.warn("a pre-started sandbox could not take run {}: {}", spec.runId(), e.getMessage());
                sandbox.close();
                sandbox = null;
            }
        }
        if (sandbox == null) {
            sandbox = LocalSandbox.create(spec, this);
        }
        open.add(sandbox);
        return sandbox;
    }

    void closed(LocalSandbox sandbox) {
        open.remove(sandbox);
    }

    /**
     * A terminal workspace: a size-capped tree kept for its life, one cgroup (memory, processes,
     * CPU quota) for everything started in it, shells on pseudo-terminals; each shell, step and
     * file operation a bubblewrap sandbox on that tree, hardened as runs are.
     */
    @Override
    public dev.cloudrun.spi.WorkspaceSandbox openWorkspace(dev.cloudrun.spi.WorkspaceSandboxSpec spec) {
        if (closed) {
            throw new CloudRunException("the local backend is closed");
        }
        if (!sandboxed) {
            throw new BackendUnavailableException("terminal workspaces need the sandboxed local backend");
        }
        LocalWorkspace workspace = LocalWorkspace.open(spec, this);
        workspaces.add(workspace);
        return workspace;
    }

    void closed(LocalWorkspace workspace) {
        workspaces.remove(workspace);
    }

    /**
     * @param workspaceId a workspace's id
     * @return the memory its processes and tree use now, in bytes, or -1 if it is not open here
     */
    public long workspaceMemoryBytes(String workspaceId) {
        return workspaces.stream().filter(workspace -> workspace.id().equals(workspaceId)).findFirst()
                .map(LocalWorkspace::memoryBytes).orElse(-1L);
    }

    /**
     * Runs a closed sandbox's removal in the background, or here once the backend is closing.
     * Until it is done the sandbox's folder and mount are listed by {@link #leftovers()}.
     *
     * @param removal what removes it
     */
    void removeLater(Runnable removal) {
        try {
            cleanUp.execute(removal);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            removal.run();
        }
    }

    Options options() {
        return options;
    }

    boolean sandboxed() {
        return sandboxed;
    }

    HostTools tools() {
        return tools;
    }

    Path instanceDir() {
        return instanceDir;
    }

    PackageCacheFolders packageCaches() {
        return packageCaches;
    }

    @Override
    public long packageCacheBytes(String cacheKey) {
        return packageCaches.sizeBytes(cacheKey);
    }

    @Override
    public void clearPackageCache(String cacheKey) {
        packageCaches.clear(cacheKey);
    }

    Optional<Cgroups> cgroups() {
        return cgroups;
    }

    ExecutorService ioThreads() {
        return ioThreads;
    }

    /** @return the interpreters started ahead of their runs */
    WarmRuntimes warmRuntimes() {
        return warmRuntimes;
    }

    /**
     * Lists what this backend has left behind: child processes, cgroups, workspace folders and
     * mounts. Empty when every sandbox is closed; for the test kit's leak check.
     *
     * @return descriptions of leftovers
     */
    List<String> leftovers() {
        List<String> found = new ArrayList<>();
        ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .forEach(child -> found.add("process " + child.pid() + " " + child.info().commandLine().orElse("")));
        cgroups.ifPresent(c -> c.children().forEach(dir -> found.add("cgroup " + dir)));
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(instanceDir)) {
            for (Path entry : stream) {
                if (!entry.getFileName().toString().equals(SECCOMP_FILE)) {
                    found.add("folder " + entry);
                }
            }
        } catch (IOException e) {
            // No instance folder: nothing left in it.
        }
        Mounts.under(instanceDir).forEach(mount -> found.add("mount " + mount));
        packageCaches.runPrivateFolders().forEach(folder -> found.add("run-private package cache " + folder));
        // Pre-started sandboxes waiting for a run are the pool's, not leftovers; close() destroys them.
        found.removeIf(warmRuntimes::owns);
        return found;
    }

    @Override
    public void releaseIdle() {
        warmRuntimes.releaseAll();
    }

    @Override
    public void close() {
        closed = true;
        warmRuntimes.close();
        for (LocalWorkspace workspace : List.copyOf(workspaces)) {
            workspace.close();
        }
        for (LocalSandbox sandbox : List.copyOf(open)) {
            sandbox.close();
        }
        cleanUp.shutdown();
        try {
            if (!cleanUp.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("sandbox folders were still being removed after 30 s; the next start sweeps them");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cgroups.ifPresent(Cgroups::close);
        deleteInstanceDir(instanceDir);
        ioThreads.shutdownNow();
    }

    private static void deleteInstanceDir(Path instanceDir) {
        try {
            SafeDelete.tree(instanceDir);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", instanceDir, e.toString());
        }
    }

    /** Options of the local backend. */
    public static final class Options {
        private Path baseDirectory = Path.of(System.getProperty("java.io.tmpdir"),
                "cloudrun-sandboxes-" + HostTools.currentUid());
        private Path packageCacheDirectory = Path.of(System.getProperty("java.io.tmpdir"),
                "cloudrun-packages-" + HostTools.currentUid());
        private int sandboxUid = 61_000;
        private String bwrapPath;
        private boolean allowUnfencedNetwork;
        private boolean prestart = true;
        private int prestartPerLanguage = 2;
        private int prestartTotal = 8;
        private java.time.Duration prestartIdle = java.time.Duration.ofMinutes(1);
        private List<String> etcEntries = List.of("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
                "ssl", "ca-certificates", "localtime", "nsswitch.conf", "hosts", "mime.types", "java-17-openjdk",
                "java-21-openjdk", "java-25-openjdk", "python3", "python3.11", "python3.12", "fonts");

        /** Creates the default options. */
        public Options() { }

        /**
         * Where workspaces are created (default {@code $java.io.tmpdir/cloudrun-sandboxes-UID}).
         *
         * @param directory the folder
         * @return these options
         */
        public Options baseDirectory(Path directory) {
            this.baseDirectory = directory;
            return this;
        }

        /**
         * Whether interpreters of languages that opt in ({@code "prestart": "true"} in their descriptor:
         * Python, Node.js) are started ahead of their runs (default true). A pre-started sandbox serves
         * one run, like any other; see {@code docs/sandbox-local.md}.
         *
         * @param enabled false to start every run cold
         * @return these options
         */
        public Options prestart(boolean enabled) {
            this.prestart = enabled;
            return this;
        }

        /**
         * How many pre-started sandboxes wait, per language and main file (default 2) and in total
         * (default 8).
         *
         * @param perLanguage at most this many for one language and main file
         * @param total at most this many in all
         * @return these options
         */
        public Options prestartCount(int perLanguage, int total) {
            if (perLanguage < 1 || total < perLanguage) {
                throw new dev.cloudrun.InvalidRequestException("prestartCount", "needs 1 <= perLanguage <= total, was "
                        + perLanguage + " and " + total);
            }
            this.prestartPerLanguage = perLanguage;
            this.prestartTotal = total;
            return this;
        }

        /**
         * After how long without a run a language's pre-started sandboxes are destroyed (default 1 minute).
         *
         * @param idle the idle time
         * @return these options
         */
        public Options prestartIdle(java.time.Duration idle) {
            if (idle.isNegative() || idle.isZero()) {
                throw new dev.cloudrun.InvalidRequestException("prestartIdle", "must be positive, was " + idle);
            }
            this.prestartIdle = idle;
            return this;
        }

        /**
         * Where package caches are kept (default {@code $java.io.tmpdir/cloudrun-packages-UID}).
         *
         * @param directory the folder
         * @return these options
         */
        public Options packageCacheDirectory(Path directory) {
            this.packageCacheDirectory = directory;
            return this;
        }

        /**
         * The unprivileged host uid and gid sandboxes run as when the JVM is root (default 61000).
         * Use an id no other account on the host uses.
         *
         * @param uid the uid (also used as gid)
         * @return these options
         */
        public Options sandboxUid(int uid) {
            if (uid <= 0) {
                throw new dev.cloudrun.InvalidRequestException("sandboxUid", "must be a positive unprivileged uid");
            }
            this.sandboxUid = uid;
            return this;
        }

        /**
         * The bubblewrap binary (default: {@code bwrap} found on the {@code PATH}).
         *
         * @param path the binary's path
         * @return these options
         */
        public Options bwrapPath(String path) {
            this.bwrapPath = path;
            return this;
        }

        /**
         * The entries of the host's {@code /etc} that sandboxes see (read-only; missing ones are skipped).
         *
         * @param entries names relative to {@code /etc}
         * @return these options
         */
        public Options etcEntries(List<String> entries) {
            this.etcEntries = List.copyOf(entries);
            return this;
        }

        /**
         * Whether steps with network on may run when this host cannot fence them off its own
         * services and private networks (no iptables, say). Default false: such steps are refused
         * with a message that says why. Only for hosts with nothing to protect on their network.
         *
         * @param allow true to run them unfenced
         * @return these options
         */
        public Options allowUnfencedNetwork(boolean allow) {
            this.allowUnfencedNetwork = allow;
            return this;
        }

        int sandboxUid() {
            return sandboxUid;
        }

        List<String> etcEntries() {
            return etcEntries;
        }
    }
}
