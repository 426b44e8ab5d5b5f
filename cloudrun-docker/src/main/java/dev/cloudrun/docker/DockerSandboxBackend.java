package dev.cloudrun.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.Language;
import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.internal.HostUser;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.internal.NetworkFence;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each step in a fresh hardened Docker container: the image of the language (built by
 * {@code ./cloudrun images build}), user 1000, all capabilities dropped, {@code no-new-privileges},
 * the default seccomp profile, no network unless the request asks for it, memory with no swap on
 * top, a CPU quota, a process limit, open-file and file-size ulimits, a read-only root with a
 * size-limited {@code /tmp}, an init that reaps zombies, and only the environment the request names.
 * The run's files live on a labelled volume mounted at {@code /work}.
 *
 * <p>One long-lived docker-java client (zerodep transport, pool sized for the concurrency, no
 * response timeout; deadlines are enforced by the engine) does the requests; each step's streams go
 * over a connection of its own that can be half-closed, so closing stdin delivers end-of-file. CPU
 * time and peak memory come from the container's cgroup when the daemon is on this host.
 *
 * <p>Every container and volume carries the labels {@value #LABEL_BACKEND} and {@value #LABEL_OWNER};
 * at start-up the backend removes those whose owning JVM on this host is gone.
 *
 * <p>Steps with network on join CloudRun's own bridge network ({@value #NETWORK}, created at the
 * first such step, interface {@code crun-} plus the daemon's id, no traffic between containers),
 * which iptables rules fence off this host and private networks when the daemon runs on this host
 * and the JVM is root ({@link NetworkFence});
 * when they cannot be installed, network-enabled steps are refused unless
 * {@link Options#allowUnfencedNetwork(boolean)} says otherwise.
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

    /** The Docker network of steps with network on (unless {@link Options#networkMode} names another). */
    public static final String NETWORK = "cloudrun-sandboxes";

    private static final Logger LOG = LoggerFactory.getLogger(DockerSandboxBackend.class);

    private final Options options;
    private final DefaultDockerClientConfig config;
    private final DockerClient client;
    private final DaemonEndpoint endpoint;
    private final String instanceId = UUID.randomUUID().toString();
    private final String owner = ownerOf(ProcessHandle.current());
    private final ThreadPoolExecutor ioThreads;
    private final Set<DockerSandbox> open = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingContainerRemovals = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingVolumeRemovals = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingCgroupRemovals = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong stepCounter = new java.util.concurrent.atomic.AtomicLong();
    private final boolean stepCgroups;
    /** Where run workspaces are mounted as tmpfs, or null when they are tmpfs volumes held by a keeper. */
    private final Path hostWorkspaces;
    /** Set once CloudRun's network is ready: its fence, or why there is none. */
    private boolean networkReady;
    private NetworkFence fence;
    private String fenceProblem;
    private final java.util.concurrent.atomic.AtomicBoolean unfencedWarned = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicBoolean retryScheduled = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.ScheduledThreadPoolExecutor retries = new java.util.concurrent.ScheduledThreadPoolExecutor(1,
            new NamedThreadFactory("docker-retry"));
    private volatile boolean closed;

    private DockerSandboxBackend(Options options) {
        this.options = options;
        DefaultDockerClientConfig.Builder builder = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (options.dockerHost != null) {
            builder.withDockerHost(options.dockerHost);
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
                .maxConnections(Math.max(8, options.maxConcurrentRuns * 3 + 4))
                .connectionTimeout(Duration.ofSeconds(10))
                .build();
        this.client = DockerClientImpl.getInstance(config, http);
        this.endpoint = new DaemonEndpoint(config.getDockerHost(), config.getSSLConfig());
        this.ioThreads = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(),
                new NamedThreadFactory("docker-io"));
        this.stepCgroups = options.cgroupFiles && endpoint.isLocal() && ContainerCgroup.parentsSupported()
                && "cgroupfs".equals(client.infoCmd().exec().getCGroupDriver());
        this.hostWorkspaces = prepareHostWorkspaces();
        sweepStale();
    }

    /**
     * The folder for host-mounted workspaces: only with a daemon on this host's unix socket (so it
     * sees this host's mounts) and a root JVM (which may mount). Leftovers of crashed JVMs are
     * unmounted and removed.
     */
    private Path prepareHostWorkspaces() {
        if (!options.hostWorkspaces || endpoint.unixSocket() == null || !HostUser.isRoot()) {
            return null;
        }
        Path root = options.workspaceDirectory;
        try {
            Files.createDirectories(root);
            java.nio.file.attribute.PosixFileAttributes attributes = Files.readAttributes(root,
                    java.nio.file.attribute.PosixFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Object owner = Files.getAttribute(root, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!attributes.isDirectory() || !Integer.valueOf(0).equals(owner)) {
                LOG.warn("{} is not a folder owned by root: workspaces become tmpfs volumes", root);
                return null;
            }
            Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
            try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
                for (Path entry : entries) {
                    String[] parts = entry.getFileName().toString().split("-", 3);
                    if (parts.length == 3 && isStale(hostName() + "/" + parts[0] + "/" + parts[1])) {
                        LOG.info("removing stale CloudRun workspace {}", entry);
                        Mounts.under(entry).forEach(Mounts::unmount);
                        Files.deleteIfExists(entry);
                    }
                }
            }
            return root;
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot use {} for workspaces ({}): they become tmpfs volumes", root, e.toString());
            return null;
        }
    }

    /** @return where workspaces are mounted, or null when they are volumes */
    Path hostWorkspaces() {
        return hostWorkspaces;
    }

    /** @return the start of this instance's workspace folder names: owner pid and start, instance */
    String workspacePrefix() {
        String[] parts = owner.split("/");
        return parts[1] + "-" + parts[2] + "-" + instanceId.substring(0, 8) + "-";
    }

    /**
     * Readies CloudRun's network at the first step that needs it: creates it if missing and fences
     * it off this host and private networks. Only for a daemon on this host's unix socket: over TCP
     * this host's firewall cannot see the containers, so nothing is created.
     */
    private synchronized void readyNetwork() {
        if (networkReady) {
            return;
        }
        try {
            if (endpoint.unixSocket() == null) {
                fenceProblem = "the daemon is reached over TCP, so this host's firewall cannot see its containers";
            } else {
                fence = NetworkFence.forDockerBridge(ensureNetwork());
            }
        } catch (RuntimeException e) {
            fenceProblem = explain(e);
        }
        if (fence == null) {
            LOG.warn("containers with network on cannot be fenced off the Docker host and private networks: {}", fenceProblem);
        }
        networkReady = true;
    }

    /**
     * Creates CloudRun's network when missing. Its bridge is named after the daemon, so that two
     * daemons on one host (a test's private one, say) never fight over one interface.
     *
     * @return the name of its bridge interface
     */
    private String ensureNetwork() {
        String bridgeOption = "com.docker.network.bridge.name";
        try {
            String bridge = client.inspectNetworkCmd().withNetworkId(NETWORK).exec().getOptions().get(bridgeOption);
            if (bridge == null) {
                throw new CloudRunException("the Docker network " + NETWORK + " exists but was not made by CloudRun "
                        + "(it names no bridge); remove it: docker network rm " + NETWORK);
            }
            return bridge;
        } catch (NotFoundException e) {
            // Create it below.
        }
        String daemonId = client.infoCmd().exec().getId().replaceAll("[^A-Za-z0-9]", "");
        String bridge = "crun-" + daemonId.substring(0, Math.min(8, daemonId.length())).toLowerCase(Locale.ROOT);
        try {
            client.createNetworkCmd().withName(NETWORK).withDriver("bridge").withCheckDuplicate(true)
                    .withLabels(Map.of(LABEL_BACKEND, "docker"))
                    .withOptions(Map.of(bridgeOption, bridge, "com.docker.network.bridge.enable_icc", "false"))
                    .exec();
        } catch (ConflictException e) {
            // Another CloudRun instance created it first (with the same name for the bridge).
        }
        return bridge;
    }

    /**
     * The network a step's container joins, after readying it: the step's private endpoints are let
     * through the fence until the returned release runs; a step that would not be fenced is refused.
     *
     * @param step the step
     * @param releases receives what takes the step's allowances back
     * @return the network mode
     * @throws CloudRunException if the network cannot be fenced and unfenced network was not allowed
     */
    String prepareNetwork(dev.cloudrun.spi.StepSpec step, java.util.function.Consumer<Runnable> releases) {
        if (!step.network()) {
            return "none";
        }
        if (options.networkMode != null) {
            if (unfencedWarned.compareAndSet(false, true)) {
                LOG.warn("containers with network on use the network '{}', which CloudRun does not fence off this host "
                        + "and private networks", options.networkMode);
            }
            return options.networkMode;
        }
        readyNetwork();
        if (fence != null) {
            releases.accept(fence.allow(step.privateEndpoints()));
        } else if (!options.allowUnfencedNetwork) {
            throw new CloudRunException("this run asks for network access, but containers cannot be fenced off the "
                    + "Docker host and private networks here (" + fenceProblem + "); fix that, or allow unfenced network "
                    + "with DockerSandboxBackend.Options.allowUnfencedNetwork(true)");
        } else if (endpoint.unixSocket() == null) {
            return "bridge"; // unfenced, as allowed; CloudRun's network is only made where it can be fenced
        }
        return NETWORK;
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
        return create(new Options().maxConcurrentRuns(maxConcurrentRuns));
    }

    /**
     * Connects with the given options.
     *
     * @param options the options
     * @return the backend
     * @throws BackendUnavailableException if the daemon does not answer
     */
    public static DockerSandboxBackend create(Options options) {
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

    @Override
    public String name() {
        return "docker";
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

    @Override
    public Sandbox open(SandboxSpec spec) {
        if (closed) {
            throw new CloudRunException("the Docker backend is closed");
        }
        retryPendingRemovals();
        DockerSandbox sandbox = DockerSandbox.create(this, spec);
        open.add(sandbox);
        return sandbox;
    }

    void closed(DockerSandbox sandbox) {
        open.remove(sandbox);
    }

    DockerClient client() {
        return client;
    }

    DaemonEndpoint endpoint() {
        return endpoint;
    }

    Options options() {
        return options;
    }

    ThreadPoolExecutor ioThreads() {
        return ioThreads;
    }

    /** @return the id put in the {@value #LABEL_INSTANCE} label of everything this backend creates */
    public String instanceId() {
        return instanceId;
    }

    /** Describes a failed request, hinting at the daemon when the connection itself failed. */
    String explain(Exception e) {
        String description = DockerProcess.describe(e);
        boolean connection = false;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            connection |= cause instanceof IOException;
        }
        return connection ? description + " (the Docker daemon at " + config.getDockerHost()
                + " stopped answering: was it stopped or restarted?)" : description;
    }

    Map<String, String> labels(String runId) {
        return Map.of(LABEL_BACKEND, "docker", LABEL_OWNER, owner, LABEL_INSTANCE, instanceId, LABEL_RUN, runId);
    }

    /**
     * The volume that holds a package cache, created when missing. A run-private cache carries this
     * instance's labels (so the leak check and the stale sweep see it); a named one only the
     * backend and cache labels, so that it outlives this process.
     */
    String packageCacheVolume(String cacheKey) {
        String name = packageCacheVolumeName(cacheKey);
        Map<String, String> labels = new java.util.HashMap<>();
        if (cacheKey.startsWith("run:")) {
            labels.putAll(labels(cacheKey.split(":")[1]));
        } else {
            labels.put(LABEL_BACKEND, "docker");
        }
        labels.put(LABEL_PACKAGE_CACHE, cacheKey);
        try {
            client.inspectVolumeCmd(name).exec();
        } catch (NotFoundException missing) {
            try {
                client.createVolumeCmd().withName(name).withLabels(labels).exec();
            } catch (RuntimeException e) {
                throw new CloudRunException("cannot create the package cache volume " + name + ": " + explain(e), e);
            }
        }
        return name;
    }

    static String packageCacheVolumeName(String cacheKey) {
        String readable = cacheKey.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        if (readable.length() > 60) {
            readable = readable.substring(0, 60);
        }
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(cacheKey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "cloudrun-pkg-" + readable + "-" + java.util.HexFormat.of().formatHex(hash, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds up the sizes in the cache volume without following links, when the volume's folder is
     * readable from here (a daemon on this host); otherwise the size is unknown and 0 is returned.
     */
    @Override
    public long packageCacheBytes(String cacheKey) {
        String mountpoint;
        try {
            mountpoint = client.inspectVolumeCmd(packageCacheVolumeName(cacheKey)).exec().getMountpoint();
        } catch (NotFoundException e) {
            return 0;
        }
        java.nio.file.Path folder = mountpoint == null ? null : java.nio.file.Path.of(mountpoint);
        if (folder == null || !java.nio.file.Files.isReadable(folder)) {
            return 0;
        }
        try {
            return dev.cloudrun.internal.FolderSize.bytes(folder);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void clearPackageCache(String cacheKey) {
        removeVolume(packageCacheVolumeName(cacheKey));
    }

    /** Removes a container and its anonymous volumes; if the daemon is unavailable, retries later. */
    void removeContainer(String containerId) {
        try {
            client.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
            pendingContainerRemovals.remove(containerId);
        } catch (NotFoundException e) {
            pendingContainerRemovals.remove(containerId);
        } catch (RuntimeException e) {
            LOG.debug("removing container {} failed, will retry: {}", containerId, e.toString());
            pendingContainerRemovals.add(containerId);
        }
    }

    /** Removes a volume, waiting briefly while a container that used it is being removed. */
    void removeVolume(String volumeName) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                client.removeVolumeCmd(volumeName).exec();
                pendingVolumeRemovals.remove(volumeName);
                return;
            } catch (NotFoundException e) {
                pendingVolumeRemovals.remove(volumeName);
                return;
            } catch (ConflictException e) {
                if (System.nanoTime() > deadline) {
                    pendingVolumeRemovals.add(volumeName);
                    return;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    pendingVolumeRemovals.add(volumeName);
                    return;
                }
            } catch (RuntimeException e) {
                LOG.debug("removing volume {} failed, will retry: {}", volumeName, e.toString());
                pendingVolumeRemovals.add(volumeName);
                return;
            }
        }
    }

    /**
     * @return a fresh name for a step's parent cgroup ({@code <pid>-<instance>-<n>}), or null when
     *     steps are not given parents here (remote daemon, systemd driver, no write access)
     */
    String nextCgroupParentName() {
        return stepCgroups ? ProcessHandle.current().pid() + "-" + instanceId.substring(0, 8) + "-"
                + stepCounter.incrementAndGet() : null;
    }

    void removeCgroupParent(String name) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!ContainerCgroup.removeParent(name)) {
            if (System.nanoTime() > deadline) {
                pendingCgroupRemovals.add(name);
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pendingCgroupRemovals.add(name);
                return;
            }
        }
        pendingCgroupRemovals.remove(name);
    }

    /** Retries removals that failed while the daemon was unavailable: containers, then volumes and cgroups. */
    void retryPendingRemovals() {
        for (String containerId : List.copyOf(pendingContainerRemovals)) {
            removeContainer(containerId);
        }
        for (String volumeName : List.copyOf(pendingVolumeRemovals)) {
            removeVolume(volumeName);
        }
        for (String name : List.copyOf(pendingCgroupRemovals)) {
            if (ContainerCgroup.removeParent(name)) {
                pendingCgroupRemovals.remove(name);
            } else if (pendingContainerRemovals.isEmpty()) {
                // Its container is gone, yet processes remain (left by a crashed daemon): end them.
                ContainerCgroup.killAll(name);
            }
        }
        boolean pending = !pendingContainerRemovals.isEmpty() || !pendingVolumeRemovals.isEmpty()
                || !pendingCgroupRemovals.isEmpty();
        if (pending && !closed && retryScheduled.compareAndSet(false, true)) {
            // The daemon may be back any moment (or still killing a crashed container): try again soon.
            try {
                retries.schedule(() -> {
                    retryScheduled.set(false);
                    if (!closed) {
                        retryPendingRemovals();
                    }
                }, 1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                retryScheduled.set(false);
            }
        }
    }

    /** Removes labelled containers and volumes whose owning JVM on this host is no longer alive. */
    private void sweepStale() {
        try {
            List<Container> containers = client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(LABEL_BACKEND, "docker")).exec();
            for (Container container : containers) {
                String containerOwner = container.getLabels() == null ? null : container.getLabels().get(LABEL_OWNER);
                if (isStale(containerOwner)) {
                    LOG.info("removing stale CloudRun container {} (owner {} is gone)", container.getId(), containerOwner);
                    removeContainer(container.getId());
                }
            }
            List<InspectVolumeResponse> volumes = client.listVolumesCmd()
                    .withFilter("label", List.of(LABEL_BACKEND + "=docker")).exec().getVolumes();
            for (InspectVolumeResponse volume : volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
                String volumeOwner = volume.getLabels() == null ? null : volume.getLabels().get(LABEL_OWNER);
                if (isStale(volumeOwner)) {
                    LOG.info("removing stale CloudRun volume {} (owner {} is gone)", volume.getName(), volumeOwner);
                    removeVolume(volume.getName());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not sweep stale CloudRun containers: {}", e.toString());
        }
        for (Path dir : ContainerCgroup.parentFolders(null)) {
            String name = dir.getFileName().toString();
            try {
                long pid = Long.parseLong(name.substring(0, name.indexOf('-')));
                if (ProcessHandle.of(pid).isEmpty()) {
                    ContainerCgroup.removeParent(name);
                }
            } catch (RuntimeException e) {
                // Not one of ours.
            }
        }
    }

    /** Objects of another host are left alone: their owner may be alive there. */
    private static boolean isStale(String ownerLabel) {
        if (ownerLabel == null) {
            return false;
        }
        String[] parts = ownerLabel.split("/");
        if (parts.length != 3 || !parts[0].equals(hostName())) {
            return false;
        }
        try {
            Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(parts[1]));
            return process.isEmpty() || !ownerOf(process.get()).equals(ownerLabel);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static String ownerOf(ProcessHandle process) {
        long started = process.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return hostName() + "/" + process.pid() + "/" + started;
    }

    private static String hostName() {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/sys/kernel/hostname")), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown");
        }
    }

    /**
     * Lists what this backend instance has left behind: containers and volumes with its label,
     * sandboxes not closed, I/O threads still busy. Empty when every sandbox is closed; the test
     * kit's leak check uses it.
     *
     * @return descriptions of leftovers
     */
    public List<String> leftovers() {
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
        ContainerCgroup.parentFolders(null).stream().filter(dir -> dir.getFileName().toString().startsWith(ownPrefix))
                .forEach(dir -> found.add("cgroup " + dir));
        open.forEach(sandbox -> found.add("open sandbox " + sandbox.volumeName()));
        if (hostWorkspaces != null) {
            try (java.nio.file.DirectoryStream<Path> entries = Files.newDirectoryStream(hostWorkspaces, workspacePrefix() + "*")) {
                entries.forEach(entry -> found.add("workspace " + entry));
            } catch (IOException e) {
                found.add("cannot list " + hostWorkspaces + ": " + e);
            }
        }
        if (ioThreads.getActiveCount() > 0) {
            found.add(ioThreads.getActiveCount() + " busy docker-io threads (open streams)");
        }
        return found;
    }

    private void listLabelled(DockerClient docker, List<String> found) {
        try {
            docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(LABEL_INSTANCE, instanceId)).exec()
                    .forEach(c -> found.add("container " + c.getId() + " " + c.getState()));
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
        for (DockerSandbox sandbox : List.copyOf(open)) {
            sandbox.close();
        }
        retryPendingRemovals();
        retries.shutdownNow();
        ioThreads.shutdown();
        try {
            if (!ioThreads.awaitTermination(10, TimeUnit.SECONDS)) {
                ioThreads.shutdownNow();
            }
        } catch (InterruptedException e) {
            ioThreads.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the Docker client: {}", e.toString());
        }
    }

    /** Options of the Docker backend. */
    public static final class Options {
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

        /** Creates the default options. */
        public Options() { }

        /**
         * The daemon to use, such as {@code unix:///var/run/docker.sock} or {@code tcp://host:2376}
         * (default: {@code DOCKER_HOST}, then the default socket; TLS via {@code DOCKER_TLS_VERIFY}
         * and {@code DOCKER_CERT_PATH}).
         *
         * @param uri the daemon's address
         * @return these options
         */
        public Options dockerHost(String uri) {
            this.dockerHost = uri;
            return this;
        }

        /**
         * How many runs may execute at once; sizes the connection pool (default 4).
         *
         * @param runs at least 1
         * @return these options
         */
        public Options maxConcurrentRuns(int runs) {
            this.maxConcurrentRuns = Math.max(1, runs);
            return this;
        }

        /**
         * How many CPUs a container may use (default 1.0), enforced as a CFS quota.
         *
         * @param cpus for example 0.5 or 2
         * @return these options
         */
        public Options cpus(double cpus) {
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
        public Options tmpBytes(long bytes) {
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
        public Options user(int userId, int groupId) {
            if (userId <= 0 || groupId <= 0) {
                throw new dev.cloudrun.InvalidRequestException("user", "must be an unprivileged uid and gid");
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
        public Options networkMode(String mode) {
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
        public Options allowUnfencedNetwork(boolean allow) {
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
        public Options hostWorkspaces(boolean enabled) {
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
        public Options workspaceDirectory(Path directory) {
            this.workspaceDirectory = java.util.Objects.requireNonNull(directory, "workspaceDirectory");
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
        public Options cgroupFiles(boolean enabled) {
            this.cgroupFiles = enabled;
            return this;
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

    }
}
