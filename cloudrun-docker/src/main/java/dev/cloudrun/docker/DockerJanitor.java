package dev.cloudrun.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.internal.ProcessOwner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what the Docker backend created: containers (with force and their anonymous volumes),
 * volumes and step cgroup parents. What fails while the daemon is unavailable is remembered and
 * retried, at the next sandbox and once a second in the background, until it is gone. At start-up it
 * sweeps the labelled containers and volumes, and the cgroup parents, of CloudRun JVMs on this host
 * that are gone (Testcontainers' {@code ResourceReaper} pattern).
 */
final class DockerJanitor {
    private static final Logger LOG = LoggerFactory.getLogger(DockerJanitor.class);

    private final DockerClient client;
    private final Set<String> pendingContainerRemovals = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingVolumeRemovals = ConcurrentHashMap.newKeySet();
    private final Set<String> pendingCgroupRemovals = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean retryScheduled = new AtomicBoolean();
    private final ScheduledThreadPoolExecutor retries = new ScheduledThreadPoolExecutor(1,
            new NamedThreadFactory("docker-retry"));
    private volatile boolean closed;

    DockerJanitor(DockerClient client) {
        this.client = client;
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

    /**
     * Removes a container whose create or start did not return in time. The daemon keeps a container
     * locked while its start runs, so a removal would wait for the hung runtime. With a daemon on this
     * host, this first ends everything the container's containerd shim started (the hung runtime and
     * the container's processes; not the shim, which reports the end to the daemon): the start then
     * fails and the removal goes through. The removal runs in the background, as it may wait for the
     * daemon, and is retried like any other once it fails.
     *
     * @param container the container's id, or its name when its creation did not return
     * @param local whether the daemon runs on this host
     * @param background where the removal waits
     * @param afterwards what to do once the container is removed (or the removal is left for a retry)
     */
    void removeHungContainer(String container, boolean local, Executor background, Runnable afterwards) {
        if (local) {
            endShimChildren(container);
        }
        Runnable removal = () -> {
            removeContainer(container);
            afterwards.run();
        };
        try {
            background.execute(removal);
        } catch (RejectedExecutionException e) {
            removal.run(); // the backend is closing
        }
    }

    /** Ends what the containerd shim of a container started; nothing when that is not visible from here. */
    private static void endShimChildren(String containerId) {
        if (!containerId.matches("[0-9a-f]{64}")) {
            return;
        }
        ProcessHandle.allProcesses()
                .filter(process -> process.info().commandLine()
                        .map(line -> line.contains("containerd-shim") && line.contains("-id " + containerId)).orElse(false))
                .forEach(shim -> shim.descendants().forEach(child -> {
                    LOG.info("ending {} (pid {}) of hung container {}", child.info().command().orElse("?"), child.pid(),
                            containerId);
                    child.destroyForcibly();
                }));
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

    /** Removes a step's cgroup parent, waiting briefly while the daemon removes the container's own cgroup. */
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
            } catch (RejectedExecutionException e) {
                retryScheduled.set(false);
            }
        }
    }

    /** Removes labelled containers and volumes, and cgroup parents, whose owning JVM on this host is gone. */
    void sweepStale() {
        try {
            List<Container> containers = client.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(DockerSandboxBackend.LABEL_BACKEND, "docker")).exec();
            for (Container container : containers) {
                String owner = container.getLabels() == null ? null
                        : container.getLabels().get(DockerSandboxBackend.LABEL_OWNER);
                if (ProcessOwner.isGone(owner)) {
                    LOG.info("removing stale CloudRun container {} (owner {} is gone)", container.getId(), owner);
                    removeContainer(container.getId());
                }
            }
            List<InspectVolumeResponse> volumes = client.listVolumesCmd()
                    .withFilter("label", List.of(DockerSandboxBackend.LABEL_BACKEND + "=docker")).exec().getVolumes();
            for (InspectVolumeResponse volume : volumes == null ? List.<InspectVolumeResponse>of() : volumes) {
                String owner = volume.getLabels() == null ? null : volume.getLabels().get(DockerSandboxBackend.LABEL_OWNER);
                if (ProcessOwner.isGone(owner)) {
                    LOG.info("removing stale CloudRun volume {} (owner {} is gone)", volume.getName(), owner);
                    removeVolume(volume.getName());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not sweep stale CloudRun containers: {}", e.toString());
        }
        for (Path dir : ContainerCgroup.parentFolders(null)) {
            String name = dir.getFileName().toString();
            try {
                if (!ProcessOwner.isAlive(Long.parseLong(name.substring(0, name.indexOf('-'))))) {
                    ContainerCgroup.removeParent(name);
                }
            } catch (RuntimeException e) {
                // Not one of ours.
            }
        }
    }

    /** Makes a last attempt at what is pending and stops retrying. */
    void close() {
        closed = true;
        retryPendingRemovals();
        retries.shutdownNow();
    }
}
