package dev.cloudrun.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.Ulimit;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.Limits;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run: a labelled volume holding the workspace, mounted at {@code /work} in one fresh container
 * per step. The files are copied into the volume through the first step's container before it
 * starts (so before any untrusted code has run); later steps see what earlier ones wrote.
 *
 * <p>The workspace is a tmpfs of {@link SandboxSpec#workspaceBytes()}, so the kernel caps what a
 * run can write (a program creating file after file gets {@code ENOSPC}, never the Docker host's
 * disk full), and its pages count against the writing container's memory. With a daemon on this
 * host and a root JVM, the backend mounts that tmpfs itself under its workspace folder and binds it
 * into each step (a millisecond). Otherwise it is a tmpfs volume; such a volume lives only while a
 * container has it mounted, so a keeper container (a long {@code sleep}, no network, no
 * capabilities, a few MiB) holds it from the sandbox's creation to its close (about half a second
 * more per run).
 */
final class DockerSandbox implements Sandbox {
    static final String WORK_DIR = "/work";
    private static final Logger LOG = LoggerFactory.getLogger(DockerSandbox.class);
    private static final long KEEPER_MEMORY_BYTES = 16L * 1024 * 1024;
    /** The highest OOM-killer score: under host memory pressure a sandbox dies first, never the JVM that runs it. */
    static final int SANDBOX_OOM_SCORE_ADJ = 1000;
    /** Room in the pids cgroup for gVisor's own host threads and the ptrace platform's stub processes. */
    private static final long GVISOR_HOST_TASKS = 128;
    /** What gVisor's Sentry and Gofer need beside a sleeping keeper. */
    private static final long GVISOR_MEMORY_BYTES = 48L * 1024 * 1024;

    private final DockerSandboxBackend backend;
    private final SandboxSpec spec;
    private final String image;
    private final String volumeName;
    /** The host folder with the run's own tmpfs, or null when the workspace is a volume. */
    private final Path hostWorkspace;
    /** The keeper's container id, once it runs; started in the background while the first step is created. */
    private CompletableFuture<String> keeper;
    private final List<DockerProcess> steps = new ArrayList<>();
    private byte[] pendingFiles;
    private boolean closed;

    private DockerSandbox(DockerSandboxBackend backend, SandboxSpec spec, String image, String volumeName,
                          Path hostWorkspace) {
        this.backend = backend;
        this.spec = spec;
        this.image = image;
        this.volumeName = volumeName;
        this.hostWorkspace = hostWorkspace;
    }

    static DockerSandbox create(DockerSandboxBackend backend, SandboxSpec spec) {
        String image = spec.language().image().orElseThrow(() -> new BackendUnavailableException(
                "language " + spec.language().id() + " has no Docker image in languages.json"));
        String volumeName = "cloudrun-" + safeName(spec.runId()) + "-" + UUID.randomUUID().toString().substring(0, 8);
        DockerBackendOptions options = backend.options();
        Path hostWorkspace = backend.hostWorkspaces() == null ? null
                : mountHostWorkspace(backend.hostWorkspaces().folderFor(volumeName), spec, options);
        if (hostWorkspace == null) {
            try {
                backend.client().createVolumeCmd().withName(volumeName).withLabels(backend.labels(spec.runId()))
                        .withDriver("local")
                        .withDriverOpts(Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=" + spec.workspaceBytes()
                                + ",uid=" + options.uid() + ",gid=" + options.gid() + ",mode=0755,nosuid,nodev"))
                        .exec();
            } catch (RuntimeException e) {
                throw new CloudRunException("cannot create the workspace volume: " + backend.endpoint().explain(e), e);
            }
        }
        DockerSandbox sandbox = new DockerSandbox(backend, spec, image, volumeName, hostWorkspace);
        sandbox.keeper = hostWorkspace != null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.supplyAsync(sandbox::startKeeper, backend.ioThreads());
        sandbox.pendingFiles = WorkspaceTar.pack(spec.files(), spec.executables(), options.uid(), options.gid());
        return sandbox;
    }

    /** Makes the run's own tmpfs in a fresh folder of the backend's; returns the folder. */
    private static Path mountHostWorkspace(Path folder, SandboxSpec spec, DockerBackendOptions options) {
        try {
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Mounts.mountTmpfs(folder, spec.workspaceBytes(), options.uid(), options.gid(), "0755");
            return folder;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(folder);
            } catch (IOException ignored) {
                // Reported by the leak check.
            }
            throw new CloudRunException("cannot mount the workspace: " + e.getMessage(), e);
        }
    }

    /** Waits until the keeper holds the workspace mounted, so that files copied in stay. */
    private void awaitKeeper() {
        // Its create and start are bounded by the start timeout each.
        long limitSeconds = Math.max(60, 2 * backend.options().startTimeout().toSeconds() + 10);
        try {
            keeper.get(limitSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NotFoundException) {
                throw new BackendUnavailableException("Docker image " + image + " is missing: run ./cloudrun images build"
                        + " (or images/build.sh) to build the language images", cause);
            }
            throw new CloudRunException("cannot start the workspace keeper: "
                    + (cause instanceof Exception problem ? backend.endpoint().explain(problem) : cause.toString()), cause);
        } catch (TimeoutException e) {
            throw new CloudRunException("the workspace keeper did not start within " + limitSeconds + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while starting the workspace keeper", e);
        }
    }

    /** Starts the container that keeps the tmpfs workspace mounted while the run lasts; returns its id. */
    private String startKeeper() {
        DockerBackendOptions options = backend.options();
        boolean gvisor = backend.runtimes().gvisor();
        // gVisor's Sentry and Gofer live in the container's cgroup.
        long keeperMemory = gvisor ? KEEPER_MEMORY_BYTES + GVISOR_MEMORY_BYTES : KEEPER_MEMORY_BYTES;
        HostConfig host = HostConfig.newHostConfig()
                .withInit(true)
                .withPrivileged(false)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(backend.runtimes().securityOptions())
                .withNetworkMode("none")
                .withRuntime(backend.runtimes().forContainer(false))
                .withMemory(keeperMemory)
                .withMemorySwap(keeperMemory)
                .withOomScoreAdj(SANDBOX_OOM_SCORE_ADJ)
                .withNanoCPUs(100_000_000L)
                .withPidsLimit(gvisor ? 4L + GVISOR_HOST_TASKS : 4L)
                .withReadonlyRootfs(true)
                .withMounts(List.of(new Mount().withType(MountType.VOLUME).withSource(volumeName).withTarget(WORK_DIR)))
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE));
        String keeperName = volumeName + "-keeper";
        String runtime = backend.runtimes().forContainer(false);
        CreateContainerCmd create = backend.client().createContainerCmd(image)
                .withName(keeperName)
                .withLabels(labels("keeper"))
                .withUser(options.uid() + ":" + options.gid())
                .withHostName("sandbox")
                .withEntrypoint(List.of())
                .withCmd(List.of("sleep", "2147483647"))
                .withEnv(List.of("PATH=/usr/local/bin:/usr/bin:/bin"))
                .withHostConfig(host);
        String keeperId;
        try {
            keeperId = backend.withinStartTimeout("create container " + keeperName, runtime, () -> create.exec().getId());
        } catch (ContainerStartTimeoutException e) {
            removeHung(keeperName, null);
            throw e;
        }
        try {
            backend.withinStartTimeout("start container " + keeperName, runtime, () -> {
                backend.client().startContainerCmd(keeperId).exec();
                return null;
            });
        } catch (ContainerStartTimeoutException e) {
            removeHung(keeperId, null);
            throw e;
        } catch (RuntimeException e) {
            backend.janitor().removeContainer(keeperId);
            throw e;
        }
        return keeperId;
    }

    private static String safeName(String runId) {
        String cleaned = runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        return cleaned.length() > 40 ? cleaned.substring(0, 40) : cleaned;
    }

    String volumeName() {
        return volumeName;
    }

    @Override
    public synchronized SandboxProcess start(StepSpec step, OutputSink sink) {
        if (closed) {
            throw new CloudRunException("the sandbox is closed");
        }
        String containerId;
        String containerName = volumeName + "-" + step.kind().name().toLowerCase(Locale.ROOT) + "-"
                + UUID.randomUUID().toString().substring(0, 4);
        String runtime;
        String cgroupParentName = backend.nextCgroupParentName();
        List<Runnable> releases = new ArrayList<>();
        AtomicBoolean released = new AtomicBoolean();
        Runnable releaseNetwork = () -> {
            if (released.compareAndSet(false, true)) {
                releases.forEach(Runnable::run);
            }
        };
        try {
            String network = backend.network().prepare(step, releases::add);
            runtime = backend.runtimes().forContainer(!"none".equals(network));
            CreateContainerCmd create = createContainer(step, network, cgroupParentName, containerName);
            containerId = backend.withinStartTimeout("create container " + containerName, runtime,
                    () -> create.exec().getId());
        } catch (NotFoundException e) {
            releaseNetwork.run();
            throw new BackendUnavailableException("Docker image " + image + " is missing: run ./cloudrun images build"
                    + " (or images/build.sh) to build the language images", e);
        } catch (ContainerStartTimeoutException e) {
            removeHung(containerName, releaseNetwork);
            throw e;
        } catch (CloudRunException e) {
            releaseNetwork.run();
            throw e;
        } catch (RuntimeException e) {
            releaseNetwork.run();
            throw new CloudRunException("cannot create a container from " + image + ": " + backend.endpoint().explain(e), e);
        }
        ContainerAttach attach = null;
        try {
            if (pendingFiles != null) {
                awaitKeeper();
                byte[] files = pendingFiles;
                backend.withinStartTimeout("copy the files into container " + shortId(containerId), runtime, () ->
                        backend.client().copyArchiveToContainerCmd(containerId)
                                .withRemotePath(WORK_DIR)
                                .withTarInputStream(new ByteArrayInputStream(files))
                                .withNoOverwriteDirNonDir(true)
                                .exec());
                pendingFiles = null;
            }
            attach = backend.withinStartTimeout("attach to container " + shortId(containerId), runtime,
                    () -> ContainerAttach.open(backend.endpoint(), containerId));
            DockerProcess process = DockerProcess.start(backend, containerId, attach, cgroupParentName,
                    step.limits().memoryBytes(), runtime, sink, releaseNetwork);
            steps.add(process);
            return process;
        } catch (RuntimeException e) {
            if (attach != null) {
                attach.close();
            }
            Runnable afterwards = () -> {
                releaseNetwork.run();
                if (cgroupParentName != null) {
                    backend.janitor().removeCgroupParent(cgroupParentName);
                }
            };
            if (e instanceof ContainerStartTimeoutException) {
                removeHung(containerId, afterwards);
            } else {
                backend.janitor().removeContainer(containerId);
                afterwards.run();
            }
            throw new CloudRunException("cannot start the container for " + step.kind().name().toLowerCase(Locale.ROOT)
                    + ": " + backend.endpoint().explain(e), e);
        }
    }

    /** Removes a container whose create or start hung (see {@link DockerJanitor#removeHungContainer}). */
    private void removeHung(String container, Runnable afterwards) {
        backend.janitor().removeHungContainer(container, backend.endpoint().isLocal(), backend.ioThreads(),
                afterwards == null ? () -> { } : afterwards);
    }

    private static String shortId(String containerId) {
        return containerId.substring(0, Math.min(12, containerId.length()));
    }

    private CreateContainerCmd createContainer(StepSpec step, String network, String cgroupParentName, String name) {
        Limits limits = step.limits();
        DockerBackendOptions options = backend.options();
        long memory = limits.memoryBytes();
        HostConfig host = HostConfig.newHostConfig()
                .withInit(true)
                .withPrivileged(false)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(backend.runtimes().securityOptions())
                .withNetworkMode(network)
                .withRuntime(backend.runtimes().forContainer(!"none".equals(network)))
                .withMemory(memory)
                .withMemorySwap(memory)
                // When the host runs out of memory, the kernel kills sandboxes before anything else.
                .withOomScoreAdj(SANDBOX_OOM_SCORE_ADJ)
                .withNanoCPUs(options.nanoCpus())
                .withPidsLimit(pidsLimit(limits))
                .withUlimits(ulimits(limits))
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,noexec,mode=1777,size=" + options.tmpBytes()))
                .withShmSize(options.tmpBytes())
                .withMounts(mounts(step))
                // Output reaches us over the attach stream; a log driver would copy it to the host's disk.
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE));
        if (cgroupParentName != null) {
            host.withCgroupParent("/" + ContainerCgroup.PARENT_ROOT + "/" + cgroupParentName);
        }
        return backend.client().createContainerCmd(image)
                .withName(name)
                .withLabels(labels("step"))
                .withUser(options.uid() + ":" + options.gid())
                .withWorkingDir(WORK_DIR)
                .withHostName("sandbox")
                .withEntrypoint(List.of())
                .withCmd(backend.runtimes().gvisor() ? GvisorStdio.wrap(step.commandWithRedirections()) : step.commandWithRedirections())
                .withEnv(environment(step))
                .withTty(false)
                .withAttachStdin(true)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withStdinOpen(true)
                .withStdInOnce(true)
                .withHostConfig(host);
    }

    /**
     * The pids cgroup limit: the process limit plus the init under runc; under gVisor, whose
     * programs are not host processes, twice the limit (the ptrace platform may pair each program
     * thread with a host thread) plus room for the Sentry and the Gofer, while
     * {@code RLIMIT_NPROC} ({@link #ulimits}) limits the program itself.
     */
    private long pidsLimit(Limits limits) {
        return backend.runtimes().gvisor() ? 2L * limits.maxProcesses() + GVISOR_HOST_TASKS : (long) limits.maxProcesses() + 1;
    }

    private List<Ulimit> ulimits(Limits limits) {
        List<Ulimit> ulimits = new ArrayList<>(List.of(
                new Ulimit("nofile", (long) limits.maxOpenFiles(), (long) limits.maxOpenFiles()),
                new Ulimit("fsize", limits.maxFileSizeBytes(), limits.maxFileSizeBytes()),
                new Ulimit("core", 0L, 0L),
                new Ulimit("stack", limits.stackBytes(), limits.stackBytes())));
        if (backend.runtimes().gvisor()) {
            // Counted by gVisor's kernel for this sandbox alone (see ContainerRuntimes.gvisor()).
            ulimits.add(new Ulimit("nproc", (long) limits.maxProcesses(), (long) limits.maxProcesses()));
        }
        return ulimits;
    }

    private Map<String, String> labels(String role) {
        Map<String, String> labels = new LinkedHashMap<>(backend.labels(spec.runId()));
        labels.put(DockerSandboxBackend.LABEL_ROLE, role);
        return labels;
    }

    private List<Mount> mounts(StepSpec step) {
        List<Mount> mounts = new ArrayList<>();
        if (hostWorkspace != null) {
            mounts.add(new Mount().withType(MountType.BIND).withSource(hostWorkspace.toString()).withTarget(WORK_DIR));
        } else {
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(volumeName).withTarget(WORK_DIR));
        }
        for (CacheMount cache : step.cacheMounts()) {
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(backend.packageCaches().volume(cache.cacheKey()))
                    .withTarget(cache.path()).withReadOnly(!cache.writable()));
        }
        return mounts;
    }

    private static List<String> environment(StepSpec step) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", WORK_DIR);
        env.put("LANG", "C.UTF-8");
        env.putAll(step.env());
        List<String> list = new ArrayList<>();
        env.forEach((name, value) -> list.add(name + "=" + value));
        return list;
    }

    @Override
    public void close() {
        List<DockerProcess> running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = List.copyOf(steps);
        }
        for (DockerProcess process : running) {
            process.destroy(Duration.ofSeconds(15));
        }
        // Nothing of the run executes any more: the keeper and the volume go in the background, after
        // the result is out (the backend waits for this work when it closes).
        Runnable cleanup = () -> {
            String keeperId = null;
            try {
                keeperId = keeper.get(60, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // It never ran (a failed start removes its container) or hangs: the stale sweep ends it.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (keeperId != null) {
                backend.janitor().removeContainer(keeperId);
            }
            if (hostWorkspace != null) {
                // Unmounting drops what the run wrote; the folder left is empty, so deleting it walks nothing.
                Mounts.unmount(hostWorkspace);
                try {
                    Files.delete(hostWorkspace);
                } catch (IOException e) {
                    LOG.warn("could not remove the workspace folder {}: {}", hostWorkspace, e.toString());
                }
            } else {
                backend.janitor().removeVolume(volumeName);
            }
            backend.janitor().retryPendingRemovals();
        };
        backend.closed(this);
        try {
            backend.ioThreads().execute(cleanup);
        } catch (RejectedExecutionException e) {
            cleanup.run(); // the backend is closing
        }
    }
}
