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
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
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
 *
 * <p>A pooled sandbox ({@link #forPool}) is made the same way before any run has it, with step
 * containers created and started ahead ({@link #prestart}) that wait in {@link WarmLauncher}; a
 * run's step takes the one of its {@link StepProfile}, or starts cold on the same workspace.
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
    /** The run's id for labels; {@value DockerPool#RUN_LABEL} for a pooled sandbox, which a run takes later. */
    private final String runId;
    private final String image;
    private final String volumeName;
    /** The host folder with the run's own tmpfs, or null when the workspace is a volume. */
    private final Path hostWorkspace;
    /** The keeper's container id, once it runs; started in the background while the first step is created. */
    private CompletableFuture<String> keeper;
    private final List<DockerProcess> steps = new ArrayList<>();
    /** Pre-started containers on this workspace, waiting for a step (pooled sandboxes only). */
    private final List<WarmContainer> warm = new ArrayList<>();
    /** The run whose files go into the workspace before its first step; null once they are there. */
    private SandboxSpec pendingFiles;
    /** A pre-started interpreter's program, between staging and hand-over. */
    private byte[] pendingMain;
    private boolean closed;

    /**
     * A container started ahead of its step, running {@link WarmLauncher} or, for a
     * {@link WarmInterpreter}, the step's own command blocked reading its main file's FIFO;
     * {@code used} once a step took it.
     */
    private static final class WarmContainer {
        final String id;
        final String cgroupParentName;
        final StepProfile profile;
        /** The pre-started interpreter's step, or null for a launcher. */
        final WarmInterpreter interpreter;
        /** The host's end of the main file's FIFO (open read-write, so neither side blocks), or null. */
        final FileChannel fifo;
        /** Its streams, attached ahead (before it started), or null when the run attaches. */
        ContainerAttach attach;
        /** Its init process on this host, seen when it started, or null when the daemon must be asked. */
        HostProcess init;
        /** Its stdout and stderr as FIFOs of this host, or null when they come over the attach stream. */
        FifoStdio stdio;
        boolean used;

        WarmContainer(String id, String cgroupParentName, StepProfile profile, WarmInterpreter interpreter,
                      FileChannel fifo) {
            this.id = id;
            this.cgroupParentName = cgroupParentName;
            this.profile = profile;
            this.interpreter = interpreter;
            this.fifo = fifo;
        }
    }

    private DockerSandbox(DockerSandboxBackend backend, String runId, String image, String volumeName,
                          Path hostWorkspace) {
        this.backend = backend;
        this.runId = runId;
        this.image = image;
        this.volumeName = volumeName;
        this.hostWorkspace = hostWorkspace;
    }

    static DockerSandbox create(DockerSandboxBackend backend, SandboxSpec spec) {
        DockerSandbox sandbox = withWorkspace(backend, spec.runId(), imageOf(spec), spec.workspaceBytes());
        sandbox.adopt(spec);
        return sandbox;
    }

    /**
     * A sandbox for the warm pool: its workspace, empty, and no step yet; {@link #prestart} adds
     * containers, {@link #adopt} gives it to a run.
     *
     * @param image the language's image
     * @param workspaceBytes the workspace's size
     * @return the sandbox
     */
    static DockerSandbox forPool(DockerSandboxBackend backend, String image, long workspaceBytes) {
        return withWorkspace(backend, DockerPool.RUN_LABEL, image, workspaceBytes);
    }

    /** @return the memory its pre-started containers are charged now, or -1 when a cgroup is not readable */
    synchronized long idleMemoryBytes() {
        long total = 0;
        for (WarmContainer container : warm) {
            long bytes = container.cgroupParentName == null ? -1
                    : ContainerCgroup.parent(container.cgroupParentName).map(ContainerCgroup::memoryBytes).orElse(-1L);
            if (bytes < 0) {
                return -1;
            }
            total += bytes;
        }
        return total;
    }

    /** @return the parent cgroups of the pre-started containers (for the leak check) */
    synchronized List<String> warmCgroupParents() {
        return warm.stream().map(container -> container.cgroupParentName).filter(java.util.Objects::nonNull).toList();
    }

    static String imageOf(SandboxSpec spec) {
        return spec.language().image().orElseThrow(() -> new BackendUnavailableException(
                "language " + spec.language().id() + " has no Docker image in languages.json"));
    }

    private static DockerSandbox withWorkspace(DockerSandboxBackend backend, String runId, String image, long workspaceBytes) {
        String volumeName = "cloudrun-" + safeName(runId) + "-" + UUID.randomUUID().toString().substring(0, 8);
        DockerBackendOptions options = backend.options();
        Path hostWorkspace = backend.hostWorkspaces() == null ? null
                : mountHostWorkspace(backend.hostWorkspaces().folderFor(volumeName), workspaceBytes, options);
        if (hostWorkspace == null) {
            try {
                backend.client().createVolumeCmd().withName(volumeName).withLabels(backend.labels(runId))
                        .withDriver("local")
                        .withDriverOpts(Map.of("type", "tmpfs", "device", "tmpfs", "o", "size=" + workspaceBytes
                                + ",uid=" + options.uid() + ",gid=" + options.gid() + ",mode=0755,nosuid,nodev"))
                        .exec();
            } catch (RuntimeException e) {
                throw new CloudRunException("cannot create the workspace volume: " + backend.endpoint().explain(e), e);
            }
        }
        DockerSandbox sandbox = new DockerSandbox(backend, runId, image, volumeName, hostWorkspace);
        sandbox.keeper = hostWorkspace != null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.supplyAsync(sandbox::startKeeper, backend.ioThreads());
        return sandbox;
    }

    /** Gives the sandbox a run's files, copied in before its first step (so before any of its code runs). */
    void adopt(SandboxSpec spec) {
        pendingFiles = spec;
    }

    /** @return whether this backend can pre-start interpreters in pooled containers: runc, and workspaces on this host */
    static boolean interpretersPossible(DockerSandboxBackend backend) {
        return backend.hostWorkspaces() != null && !backend.runtimes().gvisor();
    }

    /** Makes the run's own tmpfs in a fresh folder of the backend's; returns the folder. */
    private static Path mountHostWorkspace(Path folder, long workspaceBytes, DockerBackendOptions options) {
        try {
            Files.createDirectory(folder, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Mounts.mountTmpfs(folder, workspaceBytes, options.uid(), options.gid(), "0755");
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
        WarmContainer candidate = takeWarm(step);
        if (candidate != null) {
            DockerProcess process = startWarm(step, candidate, sink);
            if (process != null) {
                return process;
            }
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
            CreateContainerCmd create = createContainer(StepProfile.of(step.kind(), step.limits()), network,
                    cgroupParentName, containerName, mounts(step),
                    backend.runtimes().gvisor() ? GvisorStdio.wrap(step) : step.commandWithRedirections(), environment(step));
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
            copyPendingFiles(containerId, runtime);
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

    /**
     * @return the first pre-started container for this step not used yet, marked used; or null. A
     *     launcher serves any step of its profile, a pre-started interpreter only its own step.
     */
    private WarmContainer takeWarm(StepSpec step) {
        StepProfile profile = StepProfile.of(step);
        if (profile == null) {
            return null;
        }
        for (WarmContainer candidate : warm) {
            boolean fits = candidate.interpreter == null ? candidate.profile.equals(profile)
                    : candidate.interpreter.step().equals(step) && pendingFiles != null
                            && pendingFiles.files().containsKey(candidate.interpreter.mainFile());
            if (!candidate.used && fits) {
                candidate.used = true;
                return candidate;
            }
        }
        return null;
    }

    /**
     * Creates and starts a container for a step of this profile that waits in {@link WarmLauncher}
     * for its command. For the pool's background threads, before any run has this sandbox.
     *
     * @param profile the step's profile
     */
    void prestart(StepProfile profile) {
        awaitKeeper();
        FifoStdio stdio = interpretersPossible(backend) ? FifoStdio.create(HostWorkspaces.fifoFolderFor(hostWorkspace)) : null;
        try {
            prestartContainer(profile, null, null, stdio, WarmLauncher.command(stdio != null),
                    List.of("PATH=/usr/local/bin:/usr/bin:/bin"));
        } catch (RuntimeException e) {
            if (stdio != null) {
                stdio.close();
            }
            throw e;
        }
    }

    /**
     * Creates and starts a container whose command is a run step's own, exactly, with the step's
     * main file a FIFO in the workspace: the interpreter loads itself and blocks reading it. For
     * the pool's background threads, before any run has this sandbox (so nothing untrusted has
     * touched the workspace the host writes here).
     *
     * @param interpreter the step and its main file ({@link #interpretersPossible} holds)
     */
    void prestartInterpreter(WarmInterpreter interpreter) {
        StepSpec step = interpreter.step();
        DockerBackendOptions options = backend.options();
        Path main = hostWorkspace.resolve(interpreter.mainFile());
        FileChannel fifo;
        try {
            dev.cloudrun.internal.HostCommand.Result made = dev.cloudrun.internal.HostCommand.run(
                    List.of("mkfifo", "-m", "0644", main.toString()), Duration.ofSeconds(10));
            if (made.exitCode() != 0) {
                throw new IOException("mkfifo failed: " + made.output().strip());
            }
            dev.cloudrun.internal.WorkspaceFiles.own(main, options.uid(), options.gid());
            fifo = FileChannel.open(main, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new CloudRunException("cannot prepare a pre-started interpreter's main file: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while pre-starting an interpreter", e);
        }
        FifoStdio stdio = null;
        try {
            stdio = FifoStdio.create(HostWorkspaces.fifoFolderFor(hostWorkspace));
            List<String> command = new ArrayList<>(FifoStdio.wrap());
            command.addAll(step.commandWithRedirections());
            prestartContainer(StepProfile.of(step), interpreter, fifo, stdio, command, environment(step));
        } catch (RuntimeException e) {
            closeQuietly(fifo);
            if (stdio != null) {
                stdio.close();
            }
            throw e;
        }
    }

    private void prestartContainer(StepProfile profile, WarmInterpreter interpreter, FileChannel fifo, FifoStdio stdio,
                                   List<String> command, List<String> environment) {
        String name = volumeName + "-" + profile.kind().name().toLowerCase(Locale.ROOT) + "-"
                + UUID.randomUUID().toString().substring(0, 4);
        String cgroupParentName = backend.nextCgroupParentName();
        String runtime = backend.runtimes().forContainer(false);
        List<Mount> mounts = stdio == null ? List.of(workMount()) : List.of(workMount(), stdio.mount());
        CreateContainerCmd create = createContainer(profile, "none", cgroupParentName, name, mounts, command, environment);
        String id;
        try {
            id = backend.withinStartTimeout("create container " + name, runtime, () -> create.exec().getId());
        } catch (ContainerStartTimeoutException e) {
            removeHung(name, cgroupParentName == null ? null : () -> backend.janitor().removeCgroupParent(cgroupParentName));
            throw e;
        }
        WarmContainer container = new WarmContainer(id, cgroupParentName, profile, interpreter, fifo);
        container.stdio = stdio;
        synchronized (this) {
            warm.add(container);
        }
        try {
            // Attached ahead and, with a daemon on this host, watched through /proc: a run that takes it asks the daemon nothing.
            if (backend.endpoint().isLocal()) {
                container.attach = backend.withinStartTimeout("attach to container " + shortId(id), runtime,
                        () -> ContainerAttach.open(backend.endpoint(), id));
            }
            backend.withinStartTimeout("start container " + name, runtime, () -> {
                backend.client().startContainerCmd(id).exec();
                return null;
            });
            if (container.attach != null) {
                Long pid = backend.client().inspectContainerCmd(id).exec().getState().getPidLong();
                container.init = pid == null ? null : HostProcess.of(pid).orElse(null);
            }
        } catch (ContainerStartTimeoutException e) {
            synchronized (this) {
                // Not for close(): a plain removal would wait for the hung runtime.
                container.used = true;
            }
            removeHung(id, cgroupParentName == null ? null : () -> backend.janitor().removeCgroupParent(cgroupParentName));
            throw e;
        }
    }

    /**
     * Runs a step in a pre-started container: checks it still runs, copies the files in (first
     * step), attaches and sends the launcher the command.
     *
     * @return the running step, or null when the container is gone (the step then starts cold)
     */
    private DockerProcess startWarm(StepSpec step, WarmContainer container, OutputSink sink) {
        String runtime = backend.runtimes().forContainer(false);
        ContainerAttach attach = null;
        CompletableFuture<Boolean> running;
        CompletableFuture<ContainerAttach> attaching;
        if (container.attach != null && container.init != null) {
            // Attached ahead; its init still the process that started (a dead container's streams would end).
            running = CompletableFuture.completedFuture(container.init.alive());
            attaching = CompletableFuture.completedFuture(container.attach);
        } else {
            if (container.attach != null) {
                container.attach.close();
            }
            // The check, the attach and the copy do not depend on each other: one round trip instead of three.
            running = CompletableFuture.supplyAsync(() -> backend.withinStartTimeout(
                    "inspect container " + shortId(container.id), runtime,
                    () -> Boolean.TRUE.equals(backend.client().inspectContainerCmd(container.id).exec().getState().getRunning())),
                    backend.ioThreads());
            attaching = CompletableFuture.supplyAsync(() -> backend.withinStartTimeout(
                    "attach to container " + shortId(container.id), runtime,
                    () -> ContainerAttach.open(backend.endpoint(), container.id)), backend.ioThreads());
        }
        try {
            RuntimeException copyFailure = null;
            // The main file of a pre-started interpreter: staged beside the FIFO, renamed over it at the hand-over.
            Path staged = null;
            try {
                if (container.interpreter != null) {
                    staged = stageFilesForInterpreter(container.interpreter.mainFile());
                } else {
                    copyPendingFiles(container.id, runtime);
                }
            } catch (RuntimeException e) {
                copyFailure = e;
            }
            if (!join(running)) {
                LOG.info("pooled container {} no longer runs: the step starts in a fresh one", shortId(container.id));
                attaching.thenAccept(ContainerAttach::close);
                discard(container);
                if (staged != null && copyFailure == null) {
                    // Still before any step of the run: the main file becomes the regular file for a cold start.
                    moveOver(staged, hostWorkspace.resolve(container.interpreter.mainFile()));
                    pendingMain = null;
                }
                return null;
            }
            if (copyFailure != null) {
                throw copyFailure;
            }
            attach = join(attaching);
            DockerProcess.Handover handover;
            if (container.interpreter != null) {
                Path main = hostWorkspace.resolve(container.interpreter.mainFile());
                Path stagedMain = staged;
                byte[] program = pendingMain;
                pendingMain = null;
                handover = streams -> handOver(container.fifo, stagedMain, main, program);
            } else {
                List<String> environment = new ArrayList<>(environment(step));
                // What Docker adds to a cold container's environment.
                environment.add("HOSTNAME=sandbox");
                List<String> command = backend.runtimes().gvisor() ? GvisorStdio.wrap(step)
                        : step.commandWithRedirections();
                byte[] frame = WarmLauncher.frame(command, environment);
                handover = streams -> {
                    streams.stdin().write(frame);
                    streams.stdin().flush();
                };
            }
            DockerProcess process = DockerProcess.launch(backend, container.id, attach, container.stdio,
                    container.cgroupParentName, step.limits().memoryBytes(), sink, handover);
            steps.add(process);
            if (container.interpreter != null && backend.pool() != null) {
                backend.pool().servedInterpreter();
            }
            return process;
        } catch (RuntimeException e) {
            if (attach != null) {
                attach.close();
            } else {
                attaching.thenAccept(ContainerAttach::close);
            }
            discard(container);
            throw new CloudRunException("cannot start the pooled container for "
                    + step.kind().name().toLowerCase(Locale.ROOT) + ": " + backend.endpoint().explain(e), e);
        }
    }

    /** @return the future's value; what it failed with, unwrapped */
    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw e;
        }
    }

    private static void moveOver(Path staged, Path main) {
        try {
            Files.move(staged, main, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CloudRunException("cannot prepare the sandbox workspace: " + e.getMessage(), e);
        }
    }

    /** Removes a pre-started container (and its cgroup parent) in the background. */
    private void discard(WarmContainer container) {
        closeQuietly(container.fifo);
        if (container.attach != null) {
            container.attach.close();
        }
        Runnable removal = () -> {
            backend.janitor().removeContainer(container.id);
            if (container.stdio != null) {
                container.stdio.close();
            }
            if (container.cgroupParentName != null) {
                backend.janitor().removeCgroupParent(container.cgroupParentName);
            }
        };
        try {
            backend.ioThreads().execute(removal);
        } catch (RejectedExecutionException e) {
            removal.run();
        }
    }

    /**
     * Puts the run's files into the workspace before its first step: written on this host when the
     * workspace is the backend's own tmpfs ({@link dev.cloudrun.internal.WorkspaceFiles}), otherwise copied through the daemon
     * into the container as a tar.
     */
    private void copyPendingFiles(String containerId, String runtime) {
        if (pendingFiles == null) {
            return;
        }
        DockerBackendOptions options = backend.options();
        SandboxSpec spec = pendingFiles;
        if (hostWorkspace != null) {
            try {
                dev.cloudrun.internal.WorkspaceFiles.write(hostWorkspace, spec.files(), spec.executables(), options.uid(), options.gid());
            } catch (IOException e) {
                throw new CloudRunException("cannot write the files into the workspace: " + e, e);
            }
            pendingFiles = null;
            return;
        }
        awaitKeeper();
        byte[] files = WorkspaceTar.pack(spec.files(), spec.executables(), options.uid(), options.gid());
        backend.withinStartTimeout("copy the files into container " + shortId(containerId), runtime, () ->
                backend.client().copyArchiveToContainerCmd(containerId)
                        .withRemotePath(WORK_DIR)
                        .withTarInputStream(new ByteArrayInputStream(files))
                        .withNoOverwriteDirNonDir(true)
                        .exec());
        pendingFiles = null;
    }

    /**
     * For a pre-started interpreter: writes the run's files except the main file, and the main file
     * under a staged name, on this host. Nothing untrusted has run in the workspace yet.
     *
     * @return the staged main file
     */
    private Path stageFilesForInterpreter(String mainFile) {
        DockerBackendOptions options = backend.options();
        SandboxSpec spec = pendingFiles;
        Map<String, byte[]> others = new LinkedHashMap<>(spec.files());
        byte[] content = others.remove(mainFile);
        String stagedName = ".cloudrun-main-" + UUID.randomUUID();
        try {
            dev.cloudrun.internal.WorkspaceFiles.write(hostWorkspace, others, spec.executables(), options.uid(), options.gid());
            dev.cloudrun.internal.WorkspaceFiles.write(hostWorkspace, Map.of(stagedName, content),
                    spec.executables().contains(mainFile) ? java.util.Set.of(stagedName) : java.util.Set.of(),
                    options.uid(), options.gid());
        } catch (IOException e) {
            throw new CloudRunException("cannot write the files into the workspace: " + e, e);
        }
        pendingFiles = null;
        pendingMain = content;
        return hostWorkspace.resolve(stagedName);
    }

    /**
     * Hands a pre-started interpreter its program: the staged main file takes the FIFO's name (so the
     * program sees a regular file when it looks), then the program goes into the FIFO the
     * interpreter is reading, which the host opened before the container started.
     */
    private static void handOver(FileChannel fifo, Path staged, Path main, byte[] program) throws IOException {
        try (fifo) {
            Files.move(staged, main, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            ByteBuffer buffer = ByteBuffer.wrap(program);
            while (buffer.hasRemaining()) {
                fifo.write(buffer);
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Nothing to do: the FIFO goes with the workspace.
            }
        }
    }

    private CreateContainerCmd createContainer(StepProfile profile, String network, String cgroupParentName, String name,
                                               List<Mount> mounts, List<String> command, List<String> environment) {
        DockerBackendOptions options = backend.options();
        long memory = profile.memoryBytes();
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
                .withPidsLimit(pidsLimit(profile.maxProcesses()))
                .withUlimits(ulimits(profile))
                .withReadonlyRootfs(true)
                .withTmpFs(Map.of("/tmp", "rw,nosuid,nodev,noexec,mode=1777,size=" + options.tmpBytes()))
                .withShmSize(options.tmpBytes())
                .withMounts(mounts)
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
                .withCmd(command)
                .withEnv(environment)
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
    private long pidsLimit(int maxProcesses) {
        return backend.runtimes().gvisor() ? 2L * maxProcesses + GVISOR_HOST_TASKS : (long) maxProcesses + 1;
    }

    private List<Ulimit> ulimits(StepProfile limits) {
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
        Map<String, String> labels = new LinkedHashMap<>(backend.labels(runId));
        labels.put(DockerSandboxBackend.LABEL_ROLE, role);
        return labels;
    }

    private Mount workMount() {
        return hostWorkspace != null
                ? new Mount().withType(MountType.BIND).withSource(hostWorkspace.toString()).withTarget(WORK_DIR)
                : new Mount().withType(MountType.VOLUME).withSource(volumeName).withTarget(WORK_DIR);
    }

    private List<Mount> mounts(StepSpec step) {
        List<Mount> mounts = new ArrayList<>();
        mounts.add(workMount());
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
        List<WarmContainer> unused;
        List<FifoStdio> fifos = new ArrayList<>();
        synchronized (this) {
            unused = warm.stream().filter(container -> !container.used).toList();
            unused.forEach(container -> container.used = true);
            warm.stream().map(container -> container.stdio).filter(java.util.Objects::nonNull).forEach(fifos::add);
            unused.forEach(container -> {
                closeQuietly(container.fifo);
                if (container.attach != null) {
                    container.attach.close();
                }
            });
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
            for (WarmContainer container : unused) {
                backend.janitor().removeContainer(container.id);
                if (container.cgroupParentName != null) {
                    backend.janitor().removeCgroupParent(container.cgroupParentName);
                }
            }
            for (FifoStdio stdio : fifos) {
                stdio.close();
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
