package dev.cloudrun.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.Language;
import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.internal.ProcessOwner;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.WorkspaceSandbox;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step in a fresh hardened Docker container: the image of the language (built by
 * {@code ./cloudrun images build}), user 1000, all capabilities dropped, {@code no-new-privileges},
 * CloudRun's seccomp profile ({@link SeccompProfile}: no {@code ptrace}, no namespaces), no network
 * unless the request asks for it, memory with no swap on top, a CPU quota, a process limit,
 * open-file and file-size ulimits, a read-only root with a size-limited {@code /tmp}, an init that reaps zombies, and only the environment the request names.
 * The run's files live on a tmpfs mounted at {@code /work} ({@link HostWorkspaces} or a volume).
 *
 * <p>One long-lived docker-java client (zerodep transport, pool sized for the concurrency, no
 * response timeout; deadlines are enforced by the engine) does the requests; each step's streams go
 * over a connection of its own that can be half-closed, so closing stdin delivers end-of-file. CPU
 * time and peak memory come from the container's cgroup when the daemon is on this host.
 *
 * <p>Every container and volume carries the labels {@value #LABEL_BACKEND} and {@value #LABEL_OWNER};
 * the {@link DockerJanitor} removes them, retries what fails while the daemon is away, and at
 * start-up sweeps those whose owning JVM on this host is gone.
 *
 * <p>Steps with network on join CloudRun's own bridge network ({@value #NETWORK}), fenced off this
 * host and private networks where that can be enforced ({@link DockerNetwork}); elsewhere
 * network-enabled steps are refused unless {@link DockerBackendOptions#allowUnfencedNetwork(boolean)}
 * says otherwise. Package caches are volumes ({@link PackageCacheVolumes}).
 *
 * <p>With {@link DockerBackendOptions#pool(boolean)} on (the default) a run takes a sandbox built ahead
 * of demand by the {@link DockerPool}: a fresh workspace with pre-started step containers, hardened
 * alike, used by that run only ({@link PoolingSandbox} decides at the first step, {@link WarmLauncher}
 * hands the container its command).
 *
 * <p>With {@link DockerBackendOptions#runtime(String)} every container runs on that OCI runtime, such
 * as gVisor's {@code runsc} ({@code ContainerRuntimes} decides which runtime each container gets and
 * what gVisor needs differently).
 */
public final class DockerSandboxBackend implements SandboxBackend {
    /** Label on every container and volume of this backend. */
    public static final String LABEL_BACKEND = "dev.cloudrun.backend";
    /** Label naming the owning JVM: {@code host/pid/start-epoch-millis}. */
    public static final String LABEL_OWNER = "dev.cloudrun.owner";
    /** Label with the id of the backend instance that created the object. */
    public static final String LABEL_INSTANCE = "dev.cloudrun.instance";
    /** Label with the run's id. */
    public static final String LABEL_RUN = "dev.cloudrun.run";
    /** Label of containers: {@code step} (runs a step) or {@code keeper} (holds a run's workspace mounted). */
    public static final String LABEL_ROLE = "dev.cloudrun.role";
    /** Label of package cache volumes: the cache key. Named caches carry no owner, so no sweep removes them. */
    public static final String LABEL_PACKAGE_CACHE = "dev.cloudrun.package-cache";

    /** The Docker network of steps with network on, unless {@link DockerBackendOptions#networkMode(String)} names another. */
    public static final String NETWORK = "cloudrun-sandboxes";

    private static final Logger LOG = LoggerFactory.getLogger(DockerSandboxBackend.class);

    private final DockerBackendOptions options;
    private final DefaultDockerClientConfig config;
    private final DockerClient client;
    private final DaemonEndpoint endpoint;
    private final String instanceId = UUID.randomUUID().toString();
    private final String owner = ProcessOwner.label(ProcessHandle.current());
    private final ThreadPoolExecutor ioThreads;
    private final Set<DockerSandbox> open = ConcurrentHashMap.newKeySet();
    private final Set<DockerWorkspace> openWorkspaces = ConcurrentHashMap.newKeySet();
    private final AtomicLong stepCounter = new AtomicLong();
    private final boolean stepCgroups;
    /** Where run workspaces are mounted as tmpfs, or null when they are tmpfs volumes held by a keeper. */
    private final HostWorkspaces hostWorkspaces;
    private final DockerJanitor janitor;
    private final DockerNetwork network;
    private final PackageCacheVolumes packageCaches;
    private final ContainerRuntimes runtimes;
    /** The warm pool, or null when off. */
    private final DockerPool pool;
    /** The pool of terminal workspace containers, or null when off. */
    private final WorkspacePool workspacePool;
    private volatile boolean closed;
    /** Receives the phases of opening workspaces and terminals, for {@code TerminalBenchmark}; null otherwise. */
    private volatile Consumer<String> phases;

    private DockerSandboxBackend(DockerBackendOptions options) {
        this.options = options;
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (options.dockerHost() != null) {
            builder.withDockerHost(options.dockerHost());
        }
        try {
            this.config = builder.build();
        } catch (RuntimeException e) {
            throw new BackendUnavailableException("invalid Docker configuration (DOCKER_HOST="
                    + System.getenv("DOCKER_HOST") + "): " + e.getMessage(), e);
        }
        ping(config);
        DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(Math.max(8, options.maxConcurrentRuns() * 3 + 4))
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        this.client = DockerClientImpl.getInstance(config, http);
        this.endpoint = new DaemonEndpoint(config.getDockerHost(), config.getSSLConfig());
        // No thread starts until a step needs one, so a failed check below leaves none behind.
        this.ioThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new NamedThreadFactory("docker-io"));
        this.janitor = new DockerJanitor(client);
        try {
            Info info = client.infoCmd().exec();
            this.runtimes = ContainerRuntimes.resolve(options, info.getRuntimes(), config.getDockerHost().toString());
            this.stepCgroups = options.cgroupFiles() && endpoint.isLocal() && ContainerCgroup.parentsSupported()
                    && "cgroupfs".equals(info.getCGroupDriver());
            this.hostWorkspaces = HostWorkspaces.prepare(options, endpoint, instanceId);
            this.network = new DockerNetwork(client, endpoint, options);
            this.packageCaches = new PackageCacheVolumes(client, endpoint, janitor, this::labels);
            janitor.sweepStale();
            if (options.poolMinPerProfile() > options.poolMaxPerProfile()) {
                throw new dev.cloudrun.InvalidRequestException("poolMinPerProfile", "must not exceed poolMaxPerProfile ("
                        + options.poolMaxPerProfile() + ")");
            }
            this.pool = options.pool() ? new DockerPool(this, options.poolMinPerProfile(),
                    options.poolMaxPerProfile(), options.poolIdleTimeout(), options.poolBuildThreads()) : null;
            this.workspacePool = options.workspacePoolMaxPerProfile() > 0 ? new WorkspacePool(this,
                    options.workspacePoolMaxPerProfile(), options.workspacePoolIdleTimeout()) : null;
        } catch (RuntimeException e) {
            // What the checks refused must not cost the caller a connection pool or a retry thread.
            janitor.close();
            ioThreads.shutdownNow();
            closeQuietly(client);
            throw e;
        }
    }

    private static void closeQuietly(DockerClient client) {
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client: {}", e.toString());
        }
    }

    /** @return where workspaces are mounted, or null when they are volumes */
    HostWorkspaces hostWorkspaces() {
        return hostWorkspaces;
    }

    /**
     * Connects to the daemon named by {@code DOCKER_HOST} (or the default socket), sized for
     * {@code maxConcurrentRuns}.
     *
     * @param maxConcurrentRuns how many runs may execute at once
     * @return the backend
     * @throws BackendUnavailableException if the daemon does not answer
     */
    public static DockerSandboxBackend create(int maxConcurrentRuns) {
        return create(new DockerBackendOptions().maxConcurrentRuns(maxConcurrentRuns));
    }

    /**
     * Connects with the given options.
     *
     * @param options the options
     * @return the backend
     * @throws BackendUnavailableException if the daemon does not answer, or does not know the
     *     {@linkplain DockerBackendOptions#runtime(String) runtime} named (the message says how to
     *     register gVisor's)
     */
    public static DockerSandboxBackend create(DockerBackendOptions options) {
        return new DockerSandboxBackend(options);
    }

    /**
     * Whether a Docker daemon answers at {@code DOCKER_HOST} (or the default socket), within a few
     * seconds.
     *
     * @return true if it answers a ping
     */
    public static boolean daemonAnswers() {
        try {
            ping(DefaultDockerClientConfig.createDefaultConfigBuilder().build());
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Pings with a short-lived client that has timeouts, so a dead daemon fails fast and clearly. */
    private static void ping(DefaultDockerClientConfig config) {
        try (DockerClient probe = DockerClientImpl.getInstance(config, shortLivedHttpClient(config))) {
            probe.pingCmd().exec();
        } catch (IOException | RuntimeException e) {
            String env = System.getenv("DOCKER_HOST");
            throw new BackendUnavailableException("the Docker daemon does not answer at " + config.getDockerHost()
                    + " (DOCKER_HOST=" + (env == null ? "<unset>, so the default socket" : env) + "): "
                    + DockerProcess.describe(e) + ". Start it (sudo systemctl start docker, or run dockerd),"
                    + " or point DOCKER_HOST at a running daemon, or choose BackendKind.LOCAL.", e);
        }
    }

    private static DockerHttpClient shortLivedHttpClient(DefaultDockerClientConfig config) {
        return new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(2)
                .connectionTimeout(Duration.ofSeconds(3))
                .responseTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** @return {@code docker}, or {@code docker/<runtime>} (such as {@code docker/runsc}) with a runtime chosen */
    @Override
    public String name() {
        return runtimes.runtime() == null ? "docker" : "docker/" + runtimes.runtime();
    }

    @Override
    public void checkLanguage(Language language) {
        String image = language.image().orElseThrow(() -> new BackendUnavailableException(
                "language " + language.id() + " has no Docker image in languages.json"));
        try {
            client.inspectImageCmd(image).exec();
        } catch (NotFoundException e) {
            throw new BackendUnavailableException("Docker image " + image + " for " + language.displayName()
                    + " is missing: run ./cloudrun images build (or images/build.sh) to build the language images", e);
        } catch (RuntimeException e) {
            throw new BackendUnavailableException("cannot check Docker image " + image + ": "
                    + DockerProcess.describe(e), e);
        }
    }

    /**
     * The image's id, not its tag: a rebuilt image (a new compiler) never reuses the artefacts of the
     * old one.
     */
    @Override
    public String toolchain(Language language) {
        String image = language.image().orElse("");
        try {
            return "docker|" + image + "|" + client.inspectImageCmd(image).exec().getId();
        } catch (RuntimeException e) {
            // Cannot tell the build apart: a key no other run shares, so nothing is reused.
            return "docker|" + image + "|unknown|" + java.util.UUID.randomUUID();
        }
    }

    @Override
    public Sandbox open(SandboxSpec spec) {
        if (closed) {
            throw new CloudRunException("the Docker backend is closed");
        }
        janitor.retryPendingRemovals();
        if (pool != null) {
            return new PoolingSandbox(this, pool, spec);
        }
        DockerSandbox sandbox = DockerSandbox.create(this, spec);
        open.add(sandbox);
        return sandbox;
    }

    /**
     * A container per workspace ({@link DockerWorkspace}): hardened as run containers are, its file
     * tree a tmpfs of the container's own at {@code /work}, shells through execs with a TTY. With
     * network off it takes a container the {@link WorkspacePool} created and started ahead (unless
     * {@link DockerBackendOptions#workspacePoolMaxPerProfile(int)} is 0), else it creates one.
     */
    @Override
    public WorkspaceSandbox openWorkspace(WorkspaceSandboxSpec spec) {
        if (closed) {
            throw new CloudRunException("the Docker backend is closed");
        }
        // No image check first: a pooled container proves it, and a create that misses it says how to build it.
        janitor.retryPendingRemovals();
        DockerWorkspace workspace = DockerWorkspace.create(this, spec, workspacePool);
        openWorkspaces.add(workspace);
        if (closed) {
            workspace.close();
            throw new CloudRunException("the Docker backend is closed");
        }
        return workspace;
    }

    /** @param listener receives the name of each phase of opening a workspace or a terminal as it ends, or null */
    void tracePhases(Consumer<String> listener) {
        this.phases = listener;
    }

    /** Reports the end of a phase of opening a workspace or a terminal to the benchmark's listener, if any. */
    void phase(String name) {
        Consumer<String> listener = phases;
        if (listener != null) {
            listener.accept(name);
        }
    }

    void closed(DockerWorkspace workspace) {
        openWorkspaces.remove(workspace);
    }

    /**
     * @return the memory each open workspace's container is charged now (by container id), from its
     *     cgroup on this host; -1 where that cannot be read
     */
    public Map<String, Long> workspaceMemoryBytes() {
        Map<String, Long> memory = new java.util.LinkedHashMap<>();
        openWorkspaces.forEach(workspace -> memory.put(workspace.containerId(), workspace.memoryBytes()));
        return memory;
    }

    /**
     * @return what the warm pool holds (ready sandboxes, with pre-started interpreters, and the
     *     memory they are charged) and has done (hits, misses, builds); all zero when the pool is off
     */
    public DockerPoolStatistics poolStatistics() {
        return pool == null ? DockerPoolStatistics.NONE : pool.statistics();
    }

    /** @return the pool of workspace containers, or null when it is off */
    WorkspacePool workspacePool() {
        return workspacePool;
    }

    /** @return the warm pool, or null when it is off */
    DockerPool pool() {
        return pool;
    }

    void opened(DockerSandbox sandbox) {
        open.add(sandbox);
    }

    void closed(DockerSandbox sandbox) {
        open.remove(sandbox);
    }

    /**
     * Runs a request that creates, attaches to or starts a container on an I/O thread and waits
     * at most {@link DockerBackendOptions#startTimeout(Duration)} for it. The client has no response
     * timeout (streams are quiet for long), and a runtime hung in {@code start} keeps the daemon's
     * answer back for ever.
     *
     * @param what the request, for the message (such as {@code start container 0123456789ab})
     * @param runtime the container's runtime, or null for the daemon's default
     * @param request the blocking request
     * @return what the request returned
     * @throws ContainerStartTimeoutException if it did not return in time (it goes on in the
     *     background until the daemon answers)
     */
    <T> T withinStartTimeout(String what, String runtime, Callable<T> request) {
        Future<T> pending;
        try {
            pending = ioThreads.submit(request);
        } catch (RejectedExecutionException e) {
            throw new CloudRunException("the Docker backend is closed", e);
        }
        Duration timeout = options.startTimeout();
        try {
            return pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new ContainerStartTimeoutException("the Docker daemon at " + endpoint.dockerHost() + " did not "
                    + what + " within " + timeout.toSeconds() + " s (runtime "
                    + (runtime == null ? "the daemon's default" : runtime) + "): the daemon or the runtime hangs;"
                    + " the container is removed with force");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new CloudRunException("cannot " + what + ": " + DockerProcess.describe(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while waiting to " + what, e);
        }
    }

    /** @return the runtimes of this backend's containers */
    ContainerRuntimes runtimes() {
        return runtimes;
    }

    DockerClient client() {
        return client;
    }

    DaemonEndpoint endpoint() {
        return endpoint;
    }

    DockerBackendOptions options() {
        return options;
    }

    DockerJanitor janitor() {
        return janitor;
    }

    DockerNetwork network() {
        return network;
    }

    PackageCacheVolumes packageCaches() {
        return packageCaches;
    }

    ThreadPoolExecutor ioThreads() {
        return ioThreads;
    }

    /** @return the id put in the {@value #LABEL_INSTANCE} label of everything this backend creates */
    String instanceId() {
        return instanceId;
    }

    Map<String, String> labels(String runId) {
        return Map.of(LABEL_BACKEND, "docker", LABEL_OWNER, owner, LABEL_INSTANCE, instanceId, LABEL_RUN, runId);
    }

    @Override
    public long packageCacheBytes(String cacheKey) {
        return packageCaches.sizeBytes(cacheKey);
    }

    @Override
    public void clearPackageCache(String cacheKey) {
        packageCaches.clear(cacheKey);
    }

    /**
     * @return a fresh name for a step's parent cgroup ({@code <pid>-<instance>-<n>}), or null when
     *     steps are not given parents here (remote daemon, systemd driver, no write access)
     */
    String nextCgroupParentName() {
        return stepCgroups ? ProcessHandle.current().pid() + "-" + instanceId.substring(0, 8) + "-"
                + stepCounter.incrementAndGet() : null;
    }

    /**
     * Lists what this backend instance has left behind: containers and volumes with its label,
     * sandboxes not closed, I/O threads still busy. Empty when every sandbox is closed; for the
     * test kit's leak check.
     *
     * @return descriptions of leftovers
     */
    List<String> leftovers() {
        List<String> found = new ArrayList<>();
        if (closed) {
            // The pooled client is gone; look with a short-lived one.
            try (DockerClient probe = DockerClientImpl.getInstance(config, shortLivedHttpClient(config))) {
                listLabelled(probe, found);
            } catch (IOException e) {
                found.add("cannot list containers: " + e);
            }
        } else {
            listLabelled(client, found);
        }
        String ownPrefix = ProcessHandle.current().pid() + "-" + instanceId.substring(0, 8) + "-";
        List<String> pooledCgroups = pool == null || closed ? List.of() : pool.heldCgroupParents();
        ContainerCgroup.parentFolders(null).stream().filter(dir -> dir.getFileName().toString().startsWith(ownPrefix))
                .filter(dir -> !pooledCgroups.contains(dir.getFileName().toString()))
                .forEach(dir -> found.add("cgroup " + dir));
        open.forEach(sandbox -> found.add("open sandbox " + sandbox.volumeName()));
        openWorkspaces.forEach(workspace -> found.add("open workspace " + workspace.spec().id() + " (container "
                + workspace.containerId() + ")"));
        openWorkspaces.forEach(workspace -> found.addAll(workspace.openExecs()));
        if (hostWorkspaces != null) {
            found.addAll(hostWorkspaces.leftovers());
        }
        if (pool != null && !closed) {
            // The pool's ready sandboxes are not a run's leftovers; close() removes them.
            List<String> pooled = pool.heldWorkspaces();
            found.removeIf(entry -> pooled.stream().anyMatch(entry::contains));
        }
        if (workspacePool != null && !closed) {
            // Ready workspace containers are the pool's, not a workspace's leftovers; close() removes them.
            Set<String> pooledWorkspaces = workspacePool.held();
            found.removeIf(entry -> pooledWorkspaces.stream().anyMatch(entry::contains));
        }
        if (ioThreads.getActiveCount() > 0) {
            found.add(ioThreads.getActiveCount() + " busy docker-io threads (open streams)");
        }
        return found;
    }

    private void listLabelled(DockerClient docker, List<String> found) {
        try {
            docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL_INSTANCE, instanceId)).exec()
                    .forEach(c -> found.add("container " + c.getId() + " " + c.getState() + " "
                            + String.join(",", c.getNames() == null ? new String[0] : c.getNames())));
            List<InspectVolumeResponse> volumes = docker.listVolumesCmd()
                    .withFilter("label", List.of(LABEL_INSTANCE + "=" + instanceId)).exec().getVolumes();
            if (volumes != null) {
                volumes.forEach(v -> found.add("volume " + v.getName()));
            }
        } catch (RuntimeException e) {
            found.add("cannot list containers: " + e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pool != null) {
            pool.close();
        }
        if (workspacePool != null) {
            workspacePool.close();
        }
        for (DockerSandbox sandbox : List.copyOf(open)) {
            sandbox.close();
        }
        for (DockerWorkspace workspace : List.copyOf(openWorkspaces)) {
            workspace.close();
        }
        janitor.close();
        ioThreads.shutdown();
        try {
            if (!ioThreads.awaitTermination(10, TimeUnit.SECONDS)) {
                ioThreads.shutdownNow();
            }
        } catch (InterruptedException e) {
            ioThreads.shutdownNow();
            Thread.currentThread().interrupt();
        }
        closeQuietly(client);
    }
}
