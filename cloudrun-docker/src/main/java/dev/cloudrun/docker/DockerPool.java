package dev.cloudrun.docker;

import dev.cloudrun.internal.NamedThreadFactory;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm pool: sandboxes made ahead of demand, each a fresh workspace with pre-started step
 * containers ({@link DockerSandbox#prestart}) waiting in {@link WarmLauncher}, kept per
 * {@link Key} (image, workspace size and the first step's {@link StepProfile}). A run takes one
 * ({@link #take}), uses it once and closes it as any sandbox; the pool never gets it back.
 *
 * <p>Sizing, per key: a take (hit or miss) counts as demand and makes the pool build, in the
 * background, until as many sandboxes are ready (or being built) as runs of that key are in
 * progress, or as many as it has learned to keep (one more after each miss: runs came faster
 * than it built), at least {@code min} and at most {@code max}. Once no run has asked for a key
 * for the idle timeout, its ready sandboxes beyond {@code min} are removed and it forgets what
 * it learned. A key whose build failed
 * (a missing image, a daemon away) is not rebuilt until its next take.
 *
 * <p>Which steps a sandbox gets containers for is learned: the first step's profile, then the
 * profiles of the later steps of the last run of that key (a compiled language's run step after
 * its compile step). A later step without a matching container starts cold on the same workspace.
 *
 * <p>Everything the pool builds carries this backend instance's labels (and the run label
 * {@value #RUN_LABEL}): the start-up sweep of a later JVM removes what a crashed one left, and
 * another instance on the same daemon never touches these sandboxes, which only this object
 * holds.
 */
final class DockerPool implements AutoCloseable {
    /** The run label of everything the pool builds; also the prefix of its names ({@code cloudrun-pool-...}). */
    static final String RUN_LABEL = "pool";
    private static final Logger LOG = LoggerFactory.getLogger(DockerPool.class);
    /** The pool's total bound, in multiples of the per-key maximum. */
    private static final int TOTAL_PER_PROFILE_MAX = 4;

    /**
     * What a pooled sandbox is made for.
     *
     * @param image the language's image
     * @param workspaceBytes the workspace size
     * @param first the profile of the run's first step
     * @param interpreter the first step itself when its interpreter is pre-started, or null (a launcher)
     */
    record Key(String image, long workspaceBytes, StepProfile first, WarmInterpreter interpreter) { }

    /** The state of one key; guarded by the pool. */
    private static final class Entry {
        final Key key;
        final Deque<DockerSandbox> ready = new ArrayDeque<>();
        List<StepProfile> laterSteps = List.of();
        int building;
        int inUse;
        /** How many to keep ready: one more after each miss (runs came faster than builds), back to the minimum when idle. */
        int wanted;
        long lastDemandNanos;
        boolean failing;

        Entry(Key key) {
            this.key = key;
        }
    }

    private final DockerSandboxBackend backend;
    private final int min;
    private final int max;
    private final Duration idleTimeout;
    /** Ready and building sandboxes of all keys together, at most: keys differ by command, so there may be many. */
    private final int maxTotal;
    private final ScheduledThreadPoolExecutor threads;
    private final Map<Key, Entry> entries = new HashMap<>();
    /** Sandboxes ready or being built: the pool's own, not leftovers of a run. */
    private final Set<DockerSandbox> held = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicLong hits = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong misses = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong built = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong interpretersServed = new java.util.concurrent.atomic.AtomicLong();
    private boolean closed;

    DockerPool(DockerSandboxBackend backend, int min, int max, Duration idleTimeout, int buildThreads) {
        this.backend = backend;
        this.min = min;
        this.max = max;
        this.idleTimeout = idleTimeout;
        this.maxTotal = TOTAL_PER_PROFILE_MAX * max;
        this.threads = new ScheduledThreadPoolExecutor(buildThreads, new NamedThreadFactory("docker-pool"));
        this.threads.setRemoveOnCancelPolicy(true);
        long periodMillis = Math.max(50, Math.min(5_000, idleTimeout.toMillis() / 4));
        this.threads.scheduleWithFixedDelay(this::shrinkIdle, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * Takes a ready sandbox for a run, and asks for more in the background.
     *
     * @param key what the run needs
     * @return a sandbox no run has used, or null when none is ready (the run then starts cold);
     *     either way the caller calls {@link #release} when the run ends
     */
    DockerSandbox take(Key key) {
        DockerSandbox sandbox;
        synchronized (this) {
            if (closed) {
                return null;
            }
            Entry entry = entries.computeIfAbsent(key, Entry::new);
            entry.lastDemandNanos = System.nanoTime();
            entry.inUse++;
            entry.failing = false;
            sandbox = entry.ready.pollFirst();
            if (sandbox != null) {
                held.remove(sandbox);
                hits.incrementAndGet();
            } else {
                misses.incrementAndGet();
                entry.wanted = Math.min(max, entry.wanted + 1);
            }
            refill(entry);
        }
        return sandbox;
    }

    /**
     * Records the end of a run of this key.
     *
     * @param key the key given to {@link #take}
     * @param laterSteps the profiles of the run's steps after the first, for the next sandboxes built
     */
    synchronized void release(Key key, List<StepProfile> laterSteps) {
        Entry entry = entries.get(key);
        if (entry != null) {
            entry.inUse = Math.max(0, entry.inUse - 1);
            entry.laterSteps = List.copyOf(laterSteps);
        }
    }

    /** @return the sandboxes of all keys ready or being built; under the pool's lock */
    private int readyOrBuilding() {
        return entries.values().stream().mapToInt(entry -> entry.ready.size() + entry.building).sum();
    }

    private int target(Entry entry) {
        return Math.min(max, Math.max(Math.max(min, entry.wanted), entry.inUse));
    }

    /** Starts builds until ready and building reach the target; under the pool's lock. */
    private void refill(Entry entry) {
        while (!closed && !entry.failing && entry.ready.size() + entry.building < target(entry)
                && readyOrBuilding() < maxTotal) {
            entry.building++;
            List<StepProfile> plan = new ArrayList<>();
            plan.add(entry.key.first());
            plan.addAll(entry.laterSteps);
            try {
                threads.execute(() -> build(entry, plan));
            } catch (RejectedExecutionException e) {
                entry.building--;
                return;
            }
        }
    }

    private void build(Entry entry, List<StepProfile> plan) {
        synchronized (this) {
            if (closed) {
                entry.building--;
                return;
            }
        }
        DockerSandbox sandbox = null;
        try {
            sandbox = DockerSandbox.forPool(backend, entry.key.image(), entry.key.workspaceBytes());
            held.add(sandbox);
            for (int step = 0; step < plan.size(); step++) {
                if (step == 0 && entry.key.interpreter() != null) {
                    sandbox.prestartInterpreter(entry.key.interpreter());
                } else {
                    sandbox.prestart(plan.get(step));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not build a pooled sandbox for {}: {}", entry.key.image(), backend.endpoint().explain(e));
            if (sandbox != null) {
                held.remove(sandbox);
                sandbox.close();
            }
            synchronized (this) {
                entry.building--;
                entry.failing = true;
            }
            return;
        }
        boolean keep;
        synchronized (this) {
            entry.building--;
            // Demand may have passed meanwhile; kept up to the maximum, the idle timeout removes the surplus.
            keep = !closed && entry.ready.size() < max;
            if (keep) {
                entry.ready.addLast(sandbox);
                built.incrementAndGet();
            }
        }
        if (!keep) {
            held.remove(sandbox);
            sandbox.close();
        }
    }

    /** Removes ready sandboxes beyond the minimum of keys no run has asked for within the idle timeout. */
    private void shrinkIdle() {
        List<DockerSandbox> surplus = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Entry entry : entries.values()) {
                if (entry.inUse == 0 && now - entry.lastDemandNanos >= idleTimeout.toNanos()) {
                    entry.wanted = min;
                    while (entry.ready.size() > min) {
                        surplus.add(entry.ready.pollLast());
                    }
                }
            }
            entries.values().removeIf(entry -> min == 0 && entry.inUse == 0 && entry.building == 0
                    && entry.ready.isEmpty() && now - entry.lastDemandNanos >= idleTimeout.toNanos());
        }
        for (DockerSandbox sandbox : surplus) {
            held.remove(sandbox);
            sandbox.close();
        }
    }

    /** @return whether a sandbox (by its workspace name) is the pool's own, ready or being built */
    boolean holds(String workspaceName) {
        return held.stream().anyMatch(sandbox -> sandbox.volumeName().equals(workspaceName));
    }

    /** @return the names of the workspaces the pool holds (ready or being built) */
    List<String> heldWorkspaces() {
        return held.stream().map(DockerSandbox::volumeName).toList();
    }

    /** @return the parent cgroups of the containers the pool holds */
    List<String> heldCgroupParents() {
        return held.stream().flatMap(sandbox -> sandbox.warmCgroupParents().stream()).toList();
    }

    /** @return how many sandboxes are ready for this key (for tests and benchmarks) */
    synchronized int ready(Key key) {
        Entry entry = entries.get(key);
        return entry == null ? 0 : entry.ready.size();
    }

    /** @return how many takes found a ready sandbox */
    long hits() {
        return hits.get();
    }

    /** @return how many sandboxes the pool has built and made ready so far */
    long built() {
        return built.get();
    }

    /** Counts a run handed to a pre-started interpreter. */
    void servedInterpreter() {
        interpretersServed.incrementAndGet();
    }

    /** @return how many runs pre-started interpreters have served */
    long interpretersServed() {
        return interpretersServed.get();
    }

    /** @return how many sandboxes with a pre-started interpreter are ready (for tests and benchmarks) */
    synchronized int readyInterpreters() {
        return entries.values().stream().filter(entry -> entry.key.interpreter() != null)
                .mapToInt(entry -> entry.ready.size()).sum();
    }

    /** @return what the pool holds and has done */
    synchronized DockerPoolStatistics statistics() {
        long memory = 0;
        for (Entry entry : entries.values()) {
            for (DockerSandbox sandbox : entry.ready) {
                long bytes = sandbox.idleMemoryBytes();
                memory = bytes < 0 || memory < 0 ? -1 : memory + bytes;
            }
        }
        return new DockerPoolStatistics(readyTotal(), readyInterpreters(), hits.get(), misses.get(), built.get(),
                interpretersServed.get(), memory);
    }

    /** @return how many takes found none ready */
    long misses() {
        return misses.get();
    }

    /** @return how many sandboxes are ready in all (for tests and benchmarks) */
    synchronized int readyTotal() {
        return entries.values().stream().mapToInt(entry -> entry.ready.size()).sum();
    }

    /**
     * Stops building, waits (bounded) for builds under way, and closes every ready sandbox; their
     * removal runs on the backend's I/O threads, which the backend waits for when it closes.
     */
    @Override
    public void close() {
        List<DockerSandbox> ready = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            entries.values().forEach(entry -> ready.addAll(entry.ready));
            entries.clear();
        }
        stopBuilders(threads, backend, "pooled sandboxes");
        for (DockerSandbox sandbox : ready) {
            held.remove(sandbox);
            sandbox.close();
        }
    }

    /**
     * Stops a pool's builder threads and waits, bounded, for builds under way: a build is a few
     * requests, each bounded by the start timeout, and builds left see that the pool is closed and
     * close what they made. What is still building after that is left to the next start-up's sweep.
     *
     * @param threads the pool's builders
     * @param backend the backend (its start timeout)
     * @param what what the pool builds, for the warning
     */
    static void stopBuilders(java.util.concurrent.ExecutorService threads, DockerSandboxBackend backend, String what) {
        threads.shutdown();
        try {
            long limit = Math.max(30, 3 * backend.options().startTimeout().toSeconds());
            if (!threads.awaitTermination(limit, TimeUnit.SECONDS)) {
                LOG.warn("{} still building after {} s; the next start-up sweeps them", what, limit);
                threads.shutdownNow();
            }
        } catch (InterruptedException e) {
            threads.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
