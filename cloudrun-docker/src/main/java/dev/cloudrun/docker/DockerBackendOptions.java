package dev.cloudrun.docker;

import dev.cloudrun.InvalidRequestException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Options of the Docker backend, for {@link DockerSandboxBackend#create(DockerBackendOptions)}:
 * which daemon, which container runtime (such as gVisor's {@code runsc}), how many runs at once, CPU,
 * {@code /tmp} size, user, network and where workspaces live.
 * Each setter returns these options; the defaults suit a daemon on this host.
 */
public final class DockerBackendOptions {
    private String dockerHost;
    private int maxConcurrentRuns = 4;
    private long nanoCpus = 1_000_000_000L;
    private long tmpBytes = 64L * 1024 * 1024;
    private int uid = 1000;
    private int gid = 1000;
    private String networkMode;
    private boolean allowUnfencedNetwork;
    private boolean hostWorkspaces = true;
    private Path workspaceDirectory = Path.of("/var/lib/cloudrun/docker-workspaces");
    private boolean cgroupFiles = true;
    private String runtime;
    private String networkRuntime;
    private Duration startTimeout = Duration.ofSeconds(30);
    private boolean pool = true;
    private int poolMinPerProfile = 0;
    private int poolMaxPerProfile = 4;
    private Duration poolIdleTimeout = Duration.ofSeconds(60);
    private int poolBuildThreads = 2;
    private int workspacePoolMaxPerProfile = 2;
    private Duration workspacePoolIdleTimeout = Duration.ofMinutes(10);

    /** Creates the default options. */
    public DockerBackendOptions() { }

    /**
     * The daemon to use, such as {@code unix:///var/run/docker.sock} or {@code tcp://host:2376}
     * (default: {@code DOCKER_HOST}, then the default socket; TLS via {@code DOCKER_TLS_VERIFY}
     * and {@code DOCKER_CERT_PATH}).
     *
     * @param uri the daemon's address
     * @return these options
     */
    public DockerBackendOptions dockerHost(String uri) {
        this.dockerHost = uri;
        return this;
    }

    /**
     * How many runs may execute at once; sizes the connection pool (default 4).
     *
     * @param runs at least 1
     * @return these options
     */
    public DockerBackendOptions maxConcurrentRuns(int runs) {
        this.maxConcurrentRuns = Math.max(1, runs);
        return this;
    }

    /**
     * How many CPUs a container may use (default 1.0), enforced as a CFS quota.
     *
     * @param cpus for example 0.5 or 2
     * @return these options
     */
    public DockerBackendOptions cpus(double cpus) {
        this.nanoCpus = (long) (cpus * 1_000_000_000L);
        return this;
    }

    /**
     * The size of each container's {@code /tmp} (and {@code /dev/shm}), counted in its memory
     * (default 64 MiB).
     *
     * @param bytes the size
     * @return these options
     */
    public DockerBackendOptions tmpBytes(long bytes) {
        this.tmpBytes = bytes;
        return this;
    }

    /**
     * The unprivileged uid and gid programs run as; the images' {@code runner} user is 1000.
     *
     * @param userId the uid, not 0
     * @param groupId the gid, not 0
     * @return these options
     */
    public DockerBackendOptions user(int userId, int groupId) {
        if (userId <= 0 || groupId <= 0) {
            throw new InvalidRequestException("user", "must be an unprivileged uid and gid");
        }
        this.uid = userId;
        this.gid = groupId;
        return this;
    }

    /**
     * The Docker network of steps that may use the network, instead of CloudRun's own fenced
     * {@value DockerSandboxBackend#NETWORK}; CloudRun does not fence a network named here
     * (such as {@code host}, which shares this host's network). Steps without network always
     * get {@code none}.
     *
     * @param mode a network name
     * @return these options
     */
    public DockerBackendOptions networkMode(String mode) {
        this.networkMode = mode;
        return this;
    }

    /**
     * Whether steps with network on may run when CloudRun cannot fence its network off the
     * Docker host and private networks (a daemon reached over TCP, a JVM that is not root, no
     * iptables). Default false: such steps are refused with a message that says why. Set it
     * when you fence the daemon's host yourself (for example with rules in {@code DOCKER-USER}).
     *
     * @param allow true to run them unfenced
     * @return these options
     */
    public DockerBackendOptions allowUnfencedNetwork(boolean allow) {
        this.allowUnfencedNetwork = allow;
        return this;
    }

    /**
     * Whether run workspaces are tmpfs mounts that the backend makes itself under
     * {@link #workspaceDirectory(Path)} and binds into the steps (default true; used only with a
     * daemon on this host's unix socket and a root JVM). Otherwise, or when false, each workspace
     * is a tmpfs volume held mounted by a keeper container, which costs about half a second per run.
     *
     * @param enabled false to always use tmpfs volumes
     * @return these options
     */
    public DockerBackendOptions hostWorkspaces(boolean enabled) {
        this.hostWorkspaces = enabled;
        return this;
    }

    /**
     * Where host-mounted workspaces live (default {@code /var/lib/cloudrun/docker-workspaces}):
     * a folder of root's that the Docker daemon sees (not under a private {@code /tmp}).
     *
     * @param directory the folder
     * @return these options
     */
    public DockerBackendOptions workspaceDirectory(Path directory) {
        this.workspaceDirectory = Objects.requireNonNull(directory, "workspaceDirectory");
        return this;
    }

    /**
     * Whether CPU time and peak memory are read from the containers' cgroup files when the
     * daemon is on this host (default true, precise); otherwise, and for remote daemons, the
     * stats API is sampled once a second.
     *
     * @param enabled false to always use the stats API
     * @return these options
     */
    public DockerBackendOptions cgroupFiles(boolean enabled) {
        this.cgroupFiles = enabled;
        return this;
    }

    /**
     * The OCI runtime of every container, as registered in the daemon's {@code runtimes}
     * ({@code /etc/docker/daemon.json}); for example {@code runsc}, gVisor, which runs each step on
     * a kernel of its own in user space, so a program reaches the host's kernel only through
     * gVisor's small set of system calls (default: the daemon's default runtime, usually
     * {@code runc}). {@code scripts/enable-gvisor.sh} registers {@code runsc} and {@code runsc-net}.
     * The backend checks at creation that the daemon knows the runtime.
     *
     * <p>gVisor's runtime for containers without network is started with {@code --network=none};
     * such a runtime cannot run a container with network, so steps with network on use
     * {@link #networkRuntime(String)}, by default {@code <runtime>-net} when the daemon has it.
     *
     * @param name a runtime the daemon lists in {@code docker info}, or null for the default
     * @return these options
     */
    public DockerBackendOptions runtime(String name) {
        this.runtime = name == null || name.isBlank() ? null : name;
        return this;
    }

    /**
     * The runtime of steps with network on, when it is not {@link #runtime(String)} (default:
     * {@code <runtime>-net} when the daemon lists it, otherwise the runtime itself). Without a
     * runtime set, this is ignored.
     *
     * @param name a runtime the daemon lists, or null for the default
     * @return these options
     */
    public DockerBackendOptions networkRuntime(String name) {
        this.networkRuntime = name == null || name.isBlank() ? null : name;
        return this;
    }

    /**
     * How long the daemon may take to create, attach to and start a step's container (default 30 s;
     * a start takes well under a second normally, a few seconds under gVisor on a loaded host).
     * A runtime that hangs in its {@code start} (seen with {@code runsc} under heavy load) would
     * otherwise hold the run forever: past this the run ends INTERNAL_ERROR, naming the daemon and
     * the runtime, and the container is removed with force. With a daemon on this host and a root
     * JVM, the backend first ends what the container's containerd shim started (the hung runtime
     * among them), because the daemon cannot remove the container while its start is running.
     *
     * @param timeout more than zero
     * @return these options
     */
    public DockerBackendOptions startTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidRequestException("startTimeout", "must be more than zero");
        }
        this.startTimeout = timeout;
        return this;
    }

    /**
     * Whether runs take fresh containers that the backend created and started ahead of demand
     * (default true, under any runtime). Each pooled
     * container is hardened as a cold one and serves one step of one run; the backend removes it
     * afterwards and builds others in the background. Steps with network or package caches, and
     * runs whose first step's limits have no ready container, start cold.
     *
     * @param enabled false to create every container when its step starts
     * @return these options
     */
    public DockerBackendOptions pool(boolean enabled) {
        this.pool = enabled;
        return this;
    }

    /**
     * How many ready sandboxes the pool keeps per profile (language image, workspace size and the
     * first step's memory, process, open-file and file-size limits) even when idle (default 0).
     *
     * @param sandboxes 0 or more, at most {@link #poolMaxPerProfile(int)}
     * @return these options
     */
    public DockerBackendOptions poolMinPerProfile(int sandboxes) {
        if (sandboxes < 0) {
            throw new InvalidRequestException("poolMinPerProfile", "must be 0 or more");
        }
        this.poolMinPerProfile = sandboxes;
        return this;
    }

    /**
     * How many ready (or building) sandboxes the pool keeps at most per profile (default 4); the
     * pool grows towards the number of runs of that profile in progress.
     *
     * @param sandboxes 1 or more
     * @return these options
     */
    public DockerBackendOptions poolMaxPerProfile(int sandboxes) {
        if (sandboxes < 1) {
            throw new InvalidRequestException("poolMaxPerProfile", "must be 1 or more");
        }
        this.poolMaxPerProfile = sandboxes;
        return this;
    }

    /**
     * How long no run may ask for a profile before the pool removes its ready sandboxes beyond the
     * minimum (default 60 s).
     *
     * @param timeout more than zero
     * @return these options
     */
    public DockerBackendOptions poolIdleTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidRequestException("poolIdleTimeout", "must be more than zero");
        }
        this.poolIdleTimeout = timeout;
        return this;
    }

    /**
     * How many background threads build pooled sandboxes at once (default 2).
     *
     * @param threads 1 or more
     * @return these options
     */
    public DockerBackendOptions poolBuildThreads(int threads) {
        if (threads < 1) {
            throw new InvalidRequestException("poolBuildThreads", "must be 1 or more");
        }
        this.poolBuildThreads = threads;
        return this;
    }

    /**
     * How many terminal workspace containers, created and started ahead of demand, the backend keeps
     * ready at most per profile (language image, memory, processes, CPUs and disk size), default 2;
     * 0 turns the workspace pool off. It holds none until a workspace of a profile is opened, then
     * grows by one after each open that found none ready. Each pooled container is hardened as a
     * cold one and serves one workspace only; workspaces with network on are never pooled.
     *
     * @param containers 0 or more
     * @return these options
     */
    public DockerBackendOptions workspacePoolMaxPerProfile(int containers) {
        if (containers < 0) {
            throw new InvalidRequestException("workspacePoolMaxPerProfile", "must be 0 or more");
        }
        this.workspacePoolMaxPerProfile = containers;
        return this;
    }

    /**
     * How long no workspace of a profile may be opened before the workspace pool removes that
     * profile's ready containers (default 10 minutes).
     *
     * @param timeout more than zero
     * @return these options
     */
    public DockerBackendOptions workspacePoolIdleTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidRequestException("workspacePoolIdleTimeout", "must be more than zero");
        }
        this.workspacePoolIdleTimeout = timeout;
        return this;
    }

    Duration startTimeout() {
        return startTimeout;
    }

    int workspacePoolMaxPerProfile() {
        return workspacePoolMaxPerProfile;
    }

    Duration workspacePoolIdleTimeout() {
        return workspacePoolIdleTimeout;
    }

    boolean pool() {
        return pool;
    }

    int poolMinPerProfile() {
        return poolMinPerProfile;
    }

    int poolMaxPerProfile() {
        return poolMaxPerProfile;
    }

    Duration poolIdleTimeout() {
        return poolIdleTimeout;
    }

    int poolBuildThreads() {
        return poolBuildThreads;
    }

    /** @return the runtime named by {@link #runtime(String)}, or null for the daemon's default */
    public String runtime() {
        return runtime;
    }

    String networkRuntime() {
        return networkRuntime;
    }

    boolean cgroupFiles() {
        return cgroupFiles;
    }

    long nanoCpus() {
        return nanoCpus;
    }

    long tmpBytes() {
        return tmpBytes;
    }

    int uid() {
        return uid;
    }

    int gid() {
        return gid;
    }

    String dockerHost() {
        return dockerHost;
    }

    int maxConcurrentRuns() {
        return maxConcurrentRuns;
    }

    String networkMode() {
        return networkMode;
    }

    boolean allowUnfencedNetwork() {
        return allowUnfencedNetwork;
    }

    boolean hostWorkspaces() {
        return hostWorkspaces;
    }

    Path workspaceDirectory() {
        return workspaceDirectory;
    }
}
