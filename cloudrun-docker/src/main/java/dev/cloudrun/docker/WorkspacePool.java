package dev.cloudrun.docker;

import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workspace containers created and started ahead of demand, per {@link Profile} (image and the
 * limits fixed at creation), so that opening a workspace costs no container create or start. Each
 * is exactly the container {@link DockerWorkspace} creates cold (same hardening, its init and
 * {@code sleep} as {@code nobody}, an empty tmpfs at {@code /work}); nothing has run in it but that
 * {@code sleep}. A workspace takes one ({@link #take}) and removes it when it closes, as any other:
 * a container serves one workspace only and never comes back.
 *
 * <p>Sizing follows the run pool's ({@link DockerPool}) with a minimum of zero: a take counts as
 * demand for its profile; a miss makes the pool want one more ready, up to {@code max}; the pool
 * refills in the background, a moment after the take (so as not to slow down the shell that is
 * starting), until that many are ready or being built; after {@code idleTimeout}
 * without a take, a profile's ready containers are removed and what was learned is forgotten. A
 * profile whose build failed (a missing image, a daemon away) is not rebuilt until its next take.
 * Workspaces with network on are never pooled (their network and fence are chosen per workspace).
 *
 * <p>The containers carry this backend instance's labels with run {@value DockerPool#RUN_LABEL} and
 * role {@value DockerWorkspace#ROLE}: the start-up sweep of a later JVM removes what a crashed one
 * left ({@link DockerJanitor#sweepStale}), and only this object hands them out.
 */
final class WorkspacePool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WorkspacePool.class);
    /**
     * How long a refill waits after the take that asked for it: creating and starting a container
     * costs a core for a while, which the workspace just taken needs for its shell's start-up.
     */
    private static final Duration REFILL_DELAY = Duration.ofMillis(250);

    /**
     * What a pooled container is made for: everything of a network-less workspace fixed at the
     * container's creation.
     *
     * @param image the language's image
     * @param memoryBytes memory (and memory with swap)
     * @param maxProcesses the workspace's processes
     * @param cpus the CPU quota
     * @param diskBytes the size of the tree's tmpfs
     */
    record Profile(String image, long memoryBytes, int maxProcesses, double cpus, long diskBytes) {
        static Profile of(WorkspaceSandboxSpec spec, String image) {
            return new Profile(image, spec.memoryBytes(), spec.maxProcesses(), spec.cpus(), spec.diskBytes());
        }
    }

    /** A started container no workspace has used, and its init on this host when the daemon is local. */
    private record Ready(String containerId, HostProcess init) { }

    /** The state of one profile; guarded by the pool. */
    private static final class Entry {
        final Profile profile;
        final WorkspaceSandboxSpec template;
        final Deque<Ready> ready = new ArrayDeque<>();
        int building;
        int wanted;
        long lastDemandNanos;
        boolean failing;

        Entry(Profile profile, WorkspaceSandboxSpec template) {
            this.profile = profile;
            this.template = template;
        }
    }

    private final DockerSandboxBackend backend;
    private final int max;
    private final Duration idleTimeout;
    private final ScheduledThreadPoolExecutor threads;
    private final Map<Profile, Entry> entries = new HashMap<>();
    /** Containers ready or being built: the pool's own, not a workspace's. */
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong built = new AtomicLong();
    private boolean closed;

    WorkspacePool(DockerSandboxBackend backend, int max, Duration idleTimeout) {
        this.backend = backend;
        this.max = max;
        this.idleTimeout = idleTimeout;
        this.threads = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory("docker-ws-pool"));
        this.threads.setRemoveOnCancelPolicy(true);
        long periodMillis = Math.max(50, Math.min(5_000, idleTimeout.toMillis() / 4));
        this.threads.scheduleWithFixedDelay(this::shrinkIdle, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes a ready container for a workspace of this spec (network off), and asks for more in the
     * background.
     *
     * @param spec the workspace
     * @param image its image
     * @return the id of a running container no workspace has used, or null when none is ready (the
     *     workspace then starts cold); the caller owns it from here on
     */
    String take(WorkspaceSandboxSpec spec, String image) {
        Profile profile = Profile.of(spec, image);
        while (true) {
            Ready ready;
            synchronized (this) {
                if (closed) {
                    return null;
                }
                Entry entry = entries.computeIfAbsent(profile, key -> new Entry(key, template(spec)));
                entry.lastDemandNanos = System.nanoTime();
                entry.failing = false;
                ready = entry.ready.pollFirst();
                if (ready == null) {
                    misses.incrementAndGet();
                    entry.wanted = Math.min(max, entry.wanted + 1);
                } else {
                    held.remove(ready.containerId());
                }
                refill(entry);
            }
            if (ready == null) {
                return null;
            }
            if (running(ready)) {
                hits.incrementAndGet();
                return ready.containerId();
            }
            // Gone under the pool (killed from outside, a daemon restart): remove it, try the next.
            LOG.info("pooled workspace container {} no longer runs; removing it", WorkspaceExec.shortId(ready.containerId()));
            backend.janitor().removeContainer(ready.containerId());
        }
    }

    /** The pool's own spec of a profile: no id of a workspace, no files, no network. */
    private static WorkspaceSandboxSpec template(WorkspaceSandboxSpec spec) {
        return new WorkspaceSandboxSpec(DockerPool.RUN_LABEL, spec.language(), Map.of(), spec.memoryBytes(),
                spec.maxProcesses(), spec.cpus(), spec.diskBytes(), false, List.of());
    }

    /** With a daemon on this host a file read of {@code /proc}; otherwise the daemon is asked. */
    private boolean running(Ready ready) {
        if (ready.init() != null) {
            return ready.init().alive();
        }
        try {
            return Boolean.TRUE.equals(backend.client().inspectContainerCmd(ready.containerId()).exec().getState()
                    .getRunning());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Starts builds until ready and building reach what the profile wants; under the pool's lock. */
    private void refill(Entry entry) {
        while (!closed && !entry.failing && entry.ready.size() + entry.building < entry.wanted) {
            entry.building++;
            try {
                threads.schedule(() -> build(entry), REFILL_DELAY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                entry.building--;
                return;
            }
        }
    }

    private void build(Entry entry) {
        synchronized (this) {
            if (closed) {
                entry.building--;
                return;
            }
        }
        String containerId;
        HostProcess init = null;
        try {
            containerId = DockerWorkspace.startPooledContainer(backend, entry.template, entry.profile.image(), held::add);
            if (backend.endpoint().isLocal()) {
                Long pid = backend.client().inspectContainerCmd(containerId).exec().getState().getPidLong();
                init = pid == null ? null : HostProcess.of(pid).orElse(null);
            }
        } catch (RuntimeException e) {
            LOG.warn("could not build a pooled workspace container for {}: {}", entry.profile.image(),
                    backend.endpoint().explain(e));
            synchronized (this) {
                entry.building--;
                entry.failing = true;
            }
            return;
        }
        boolean keep;
        synchronized (this) {
            entry.building--;
            keep = !closed && entry.ready.size() < max;
            if (keep) {
                entry.ready.addLast(new Ready(containerId, init));
                built.incrementAndGet();
            }
        }
        if (!keep) {
            backend.janitor().removeContainer(containerId);
            held.remove(containerId);
        }
    }

    /** Removes the ready containers of profiles no workspace has asked for within the idle timeout. */
    private void shrinkIdle() {
        List<String> surplus = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            entries.values().removeIf(entry -> {
                if (now - entry.lastDemandNanos < idleTimeout.toNanos()) {
                    return false;
                }
                entry.ready.forEach(ready -> surplus.add(ready.containerId()));
                entry.ready.clear();
                entry.wanted = 0;
                return entry.building == 0;
            });
        }
        for (String containerId : surplus) {
            backend.janitor().removeContainer(containerId);
            held.remove(containerId);
        }
    }

    /** @return the ids of the containers the pool holds, ready or being built (not a workspace's leftovers) */
    Set<String> held() {
        return Set.copyOf(held);
    }

    /** @return how many containers are ready in all (for tests and benchmarks) */
    synchronized int readyTotal() {
        return entries.values().stream().mapToInt(entry -> entry.ready.size()).sum();
    }

    /** @return how many takes found a ready container */
    long hits() {
        return hits.get();
    }

    /** @return how many takes found none */
    long misses() {
        return misses.get();
    }

    /** @return how many containers the pool has built and made ready so far */
    long built() {
        return built.get();
    }

    /**
     * Stops building, waits (bounded) for a build under way, and removes every ready container.
     */
    @Override
    public void close() {
        List<String> ready = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            entries.values().forEach(entry -> entry.ready.forEach(container -> ready.add(container.containerId())));
            entries.clear();
        }
        DockerPool.stopBuilders(threads, backend, "pooled workspace containers");
        for (String containerId : ready) {
            backend.janitor().removeContainer(containerId);
            held.remove(containerId);
        }
    }
}
