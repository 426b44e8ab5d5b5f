package dev.cloudrun.local;

import dev.cloudrun.Language;
import dev.cloudrun.internal.NamedThreadFactory;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Interpreters (and compilers) started ahead of their runs. A language opts in with the descriptor
 * attribute {@code "prestart": "true"}. After a run of it, the backend keeps a fresh sandbox with the
 * same first step already started, the run step of an interpreted language or the compile step of a
 * compiled one: the interpreter or compiler has loaded itself and blocks reading its main file,
 * which is a FIFO. The next run with the same language, main file name, workspace size and limits takes
 * that sandbox, writes its files, and, if its run step is exactly the one started (command, arguments,
 * environment, limits, mounts), puts its main file in place and hands the interpreter the program.
 * Anything else (another step first, another command) kills the waiting interpreter and runs cold.
 *
 * <p>The program cannot tell: it is the same {@code exec} of the same command in the same sandbox,
 * with the same argv, environment, working directory, pipes and limits; the interpreter only read
 * its program later. A sandbox serves one run and is destroyed with it, as any other.
 *
 * <p>A descriptor can name files with {@code "prestartUnlessFiles"} (comma-separated) whose presence
 * changes the interpreter's start-up (Node.js reads {@code package.json} before its main file): runs
 * with such a file start cold. Ready sandboxes are bounded in number per key and in total, and are
 * destroyed when their key had no run for the idle time.
 */
final class WarmRuntimes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WarmRuntimes.class);
    /** The largest main file handed over: it must fit the FIFO's buffer, so the host's write never blocks. */
    static final int MAX_MAIN_BYTES = 60 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * What a pre-started sandbox can serve: the language, the main file's name, the workspace size, and the run's
     * limits when known ({@link SandboxSpec#runLimits()}), so that runs with other limits (an agent's and an IDE's)
     * each keep their own interpreters waiting instead of replacing each other's.
     */
    record Key(String language, String mainFile, long workspaceBytes, dev.cloudrun.Limits limits) { }

    /** The most keys learned at once; past it, the one demanded longest ago is forgotten with its sandboxes. */
    static final int MAX_KEYS = 32;

    /** The run step last seen for a key, to start the next sandboxes with. */
    private record Learned(Language language, StepSpec step, long lastDemandNanos) {
        Learned demanded(long now) {
            return new Learned(language, step, now);
        }
    }

    private final LocalSandboxBackend backend;
    private final boolean enabled;
    private final int perKey;
    private final int total;
    private final Duration idle;
    private final Map<Key, Learned> learned = new HashMap<>();
    private final Map<Key, Deque<LocalSandbox>> ready = new HashMap<>();
    private int starting;
    private long served;
    private boolean closed;
    private ScheduledExecutorService timer;

    WarmRuntimes(LocalSandboxBackend backend, boolean enabled, int perKey, int total, Duration idle) {
        this.backend = backend;
        this.enabled = enabled;
        this.perKey = perKey;
        this.total = total;
        this.idle = idle;
    }

    /**
     * @param spec a run's sandbox
     * @param mainFile the file its interpreter runs
     * @return the key it could be served under, or empty when its language or files rule it out
     */
    static Optional<Key> keyOf(SandboxSpec spec, String mainFile) {
        Language language = spec.language();
        byte[] main = spec.files().get(mainFile);
        if (!"true".equals(language.attribute("prestart").orElse(null)) || main == null
                || mainFile.contains("/") || mainFile.startsWith(".") || main.length > MAX_MAIN_BYTES) {
            return Optional.empty();
        }
        List<String> unless = Arrays.stream(language.attribute("prestartUnlessFiles").orElse("").split(","))
                .map(String::strip).filter(name -> !name.isEmpty()).toList();
        if (unless.stream().anyMatch(spec.files()::containsKey)) {
            return Optional.empty();
        }
        return Optional.of(new Key(language.id(), mainFile, spec.workspaceBytes(), spec.runLimits()));
    }

    /** @return the first argument of a run step's command that names a file of the sandbox: its main file */
    private static Optional<String> mainFileOf(SandboxSpec spec, StepSpec step) {
        return step.command().stream().skip(1).filter(spec.files()::containsKey).findFirst();
    }

    /**
     * Takes a ready sandbox for a run, if one waits for its key; a new one is started in its place.
     *
     * @param spec the run's sandbox
     * @return a pre-started sandbox (the caller adopts it), or null
     */
    LocalSandbox take(SandboxSpec spec) {
        if (!enabled || !"true".equals(spec.language().attribute("prestart").orElse(null))) {
            return null;
        }
        if (spec.language().artifacts().stream().anyMatch(spec.files()::containsKey)) {
            // Compiled already (the compile cache's artefacts): its first step is the run, which a
            // pre-started compiler could not serve, and discarding one would only cost time.
            return null;
        }
        LocalSandbox taken = null;
        List<LocalSandbox> dead = new ArrayList<>();
        Optional<Key> key;
        synchronized (this) {
            if (closed) {
                return null;
            }
            // The keys learned for this language whose main file the run has: usually one.
            key = learned.keySet().stream().filter(known -> known.language().equals(spec.language().id())
                    && known.workspaceBytes() == spec.workspaceBytes() && spec.files().containsKey(known.mainFile())
                    && Objects.equals(known.limits(), spec.runLimits()))
                    .filter(known -> keyOf(spec, known.mainFile()).isPresent())
                    .findFirst();
            if (key.isEmpty()) {
                return null;
            }
            learned.put(key.get(), learned.get(key.get()).demanded(System.nanoTime()));
            Deque<LocalSandbox> waiting = ready.getOrDefault(key.get(), new ArrayDeque<>());
            while (taken == null && !waiting.isEmpty()) {
                LocalSandbox candidate = waiting.poll();
                if (candidate.warmAlive()) {
                    taken = candidate;
                } else {
                    dead.add(candidate);
                }
            }
        }
        dead.forEach(LocalSandbox::close);
        scheduleRefill(key.get());
        return taken;
    }

    /** Counts a run whose step a pre-started interpreter ran. */
    synchronized void served() {
        served++;
    }

    /** @return how many runs pre-started interpreters ran */
    synchronized long servedRuns() {
        return served;
    }

    /**
     * Notes the run step a run of this key started cold, so that the next sandboxes start it ahead.
     *
     * @param spec the run's sandbox
     * @param step its run step
     */
    void learn(SandboxSpec spec, StepSpec step) {
        Optional<Key> key = mainFileOf(spec, step).flatMap(main -> keyOf(spec, main));
        // A run-private package cache belongs to one run: a step that mounts it never repeats.
        boolean runPrivateCache = step.cacheMounts().stream()
                .anyMatch(mount -> dev.cloudrun.internal.packages.PackageCaches.isRunPrivate(mount.cacheKey()));
        if (!enabled || key.isEmpty() || step.network() || !step.privateEndpoints().isEmpty() || runPrivateCache) {
            return;
        }
        List<LocalSandbox> stale = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            Learned previous = learned.put(key.get(), new Learned(spec.language(), step, System.nanoTime()));
            if (previous != null && !previous.step().equals(step)) {
                Deque<LocalSandbox> old = ready.remove(key.get());
                if (old != null) {
                    stale.addAll(old);
                }
            }
            while (learned.size() > MAX_KEYS) {
                Key oldest = oldestOtherThan(key.get(), false);
                learned.remove(oldest);
                Deque<LocalSandbox> old = ready.remove(oldest);
                if (old != null) {
                    stale.addAll(old);
                }
            }
        }
        stale.forEach(LocalSandbox::close);
        scheduleRefill(key.get());
    }

    private void scheduleRefill(Key key) {
        ScheduledExecutorService executor = timer();
        if (executor != null) {
            try {
                executor.execute(() -> refill(key));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closing.
            }
        }
    }

    private synchronized ScheduledExecutorService timer() {
        if (closed) {
            return null;
        }
        if (timer == null) {
            ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, new NamedThreadFactory("local-prestart"));
            created.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            long period = Math.max(1, Math.min(idle.toMillis() / 2, 5_000));
            created.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
            timer = created;
        }
        return timer;
    }

    /** Starts sandboxes for a key until it has its share (on the timer's thread, one at a time). */

    private void refill(Key key) {
        while (true) {
            Learned known;
            LocalSandbox evicted = null;
            synchronized (this) {
                known = learned.get(key);
                int readyForKey = ready.getOrDefault(key, new ArrayDeque<>()).size();
                if (closed || known == null || readyForKey >= perKey) {
                    return;
                }
                if (readyCount() + starting >= total) {
                    // Full: a key in use now may take the place of one that waits for a key demanded longer ago.
                    Key oldest = oldestOtherThan(key, true);
                    if (readyForKey > 0 || oldest == null
                            || learned.get(oldest).lastDemandNanos() >= known.lastDemandNanos()) {
                        return;
                    }
                    Deque<LocalSandbox> waiting = ready.get(oldest);
                    evicted = waiting.poll();
                    if (waiting.isEmpty()) {
                        ready.remove(oldest);
                    }
                }
                starting++;
            }
            if (evicted != null) {
                evicted.close();
            }
            LocalSandbox sandbox = null;
            try {
                SandboxSpec stand = new SandboxSpec("warm-" + HexFormat.of().formatHex(randomBytes()), known.language(),
                        Map.of(), key.workspaceBytes(), Set.of());
                sandbox = LocalSandbox.prestart(stand, backend, key.mainFile(), known.step());
            } catch (RuntimeException e) {
                LOG.warn("could not pre-start a {} runtime; its runs start cold: {}", key.language(), e.getMessage());
            }
            boolean keep;
            synchronized (this) {
                starting--;
                Learned now = learned.get(key);
                keep = sandbox != null && !closed && now != null && now.step().equals(known.step());
                if (keep) {
                    ready.computeIfAbsent(key, k -> new ArrayDeque<>()).add(sandbox);
                    // Idle time counts from the newest sandbox: a long run does not expire its successor.
                    learned.put(key, now.demanded(System.nanoTime()));
                }
            }
            if (!keep) {
                if (sandbox != null) {
                    sandbox.close();
                }
                return;
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /**
     * @param key the key to leave out
     * @param withSandboxes whether only keys with sandboxes waiting count
     * @return the learned key demanded longest ago other than {@code key}, or null
     */
    private Key oldestOtherThan(Key key, boolean withSandboxes) {
        Key oldest = null;
        long oldestDemand = Long.MAX_VALUE;
        for (Map.Entry<Key, Learned> entry : learned.entrySet()) {
            boolean eligible = !entry.getKey().equals(key)
                    && (!withSandboxes || !ready.getOrDefault(entry.getKey(), new ArrayDeque<>()).isEmpty());
            if (eligible && (oldest == null || entry.getValue().lastDemandNanos() - oldestDemand < 0)) {
                oldest = entry.getKey();
                oldestDemand = entry.getValue().lastDemandNanos();
            }
        }
        return oldest;
    }

    private int readyCount() {
        return ready.values().stream().mapToInt(Deque::size).sum();
    }

    /** Destroys the sandboxes of keys that had no run for the idle time, and forgets those keys. */
    void sweep() {
        List<LocalSandbox> expired = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            learned.entrySet().removeIf(entry -> {
                if (now - entry.getValue().lastDemandNanos() < idle.toNanos()) {
                    return false;
                }
                Deque<LocalSandbox> waiting = ready.remove(entry.getKey());
                if (waiting != null) {
                    expired.addAll(waiting);
                }
                return true;
            });
        }
        expired.forEach(LocalSandbox::close);
    }

    /** Destroys every waiting sandbox and forgets the steps learned; the next runs start cold and teach again. */
    void releaseAll() {
        List<LocalSandbox> all = new ArrayList<>();
        synchronized (this) {
            ready.values().forEach(all::addAll);
            ready.clear();
            learned.clear();
        }
        all.forEach(LocalSandbox::close);
    }

    /** @return how many pre-started sandboxes wait now */
    synchronized int readySandboxes() {
        return readyCount();
    }

    /** @return how many pre-started sandboxes of one language wait for a run */
    synchronized int readySandboxes(String language) {
        return ready.entrySet().stream().filter(entry -> entry.getKey().language().equals(language))
                .mapToInt(entry -> entry.getValue().size()).sum();
    }

    /**
     * @param description a leftover's description (it names the sandbox's folder)
     * @return whether it belongs to a sandbox that waits in this pool (not a leftover, then)
     */
    synchronized boolean owns(String description) {
        List<LocalSandbox> waiting = ready.values().stream().flatMap(Deque::stream).toList();
        if (waiting.stream().anyMatch(sandbox -> description.contains(sandbox.folderName()))) {
            return true;
        }
        // A process (bubblewrap's, or the interpreter inside it) descending from a waiting step.
        java.util.regex.Matcher pid = PROCESS.matcher(description);
        if (!pid.find()) {
            return false;
        }
        Set<Long> roots = new java.util.HashSet<>();
        waiting.forEach(sandbox -> roots.add(sandbox.warmPid()));
        Optional<ProcessHandle> process = ProcessHandle.of(Long.parseLong(pid.group(1)));
        while (process.isPresent()) {
            if (roots.contains(process.get().pid())) {
                return true;
            }
            process = process.get().parent();
        }
        return false;
    }

    private static final java.util.regex.Pattern PROCESS = java.util.regex.Pattern.compile("process (\\d+)");

    /** Destroys every waiting sandbox and stops the pool's thread; bounded by a few seconds. */
    @Override
    public void close() {
        List<LocalSandbox> all = new ArrayList<>();
        ScheduledExecutorService executor;
        synchronized (this) {
            closed = true;
            ready.values().forEach(all::addAll);
            ready.clear();
            learned.clear();
            executor = timer;
        }
        if (executor != null) {
            executor.shutdownNow();
            try {
                executor.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        all.forEach(LocalSandbox::close);
    }
}
