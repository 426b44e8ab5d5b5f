package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.Limits;
import dev.cloudrun.Phase;
import dev.cloudrun.QueueFullException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.internal.ScriptedBackend.Script;
import dev.cloudrun.internal.packages.PackageSettings;
import dev.cloudrun.spi.StepSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The engine's queue, slots and lifecycle, against a scripted backend (no sandbox): order,
 * fairness, the bound, and exactly-once completion whatever start, cancel and close race with.
 */
class RunEngineTest {
    private final CountDownLatch release = new CountDownLatch(1);
    private CodeRunner runner;

    @AfterEach
    void closeRunner() {
        release.countDown();
        if (runner != null) {
            runner.close();
        }
    }

    private ScriptedBackend backend(Function<StepSpec, Script> scripts) {
        return new ScriptedBackend(scripts);
    }

    private CodeRunner runner(ScriptedBackend backend, int slots, int maxQueued) {
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(slots).maxQueuedRuns(maxQueued));
        return runner;
    }

    private static RunRequest bash(String source) {
        return RunRequest.of("bash", source);
    }

    /** The first step blocks until the test releases it; every later one prints and exits. */
    private Function<StepSpec, Script> blockOnFirstStep() {
        AtomicInteger steps = new AtomicInteger();
        return step -> steps.getAndIncrement() == 0 ? Script.blocks(release) : Script.prints("ran\n");
    }

    @Test
    void runsWithoutAFairnessKeyStartInTheOrderTheyCame() {
        ScriptedBackend backend = backend(blockOnFirstStep());
        CodeRunner runner = runner(backend, 1, 100);
        Execution first = runner.start(bash("echo first"), RunListener.NONE);
        List<Execution> rest = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            rest.add(runner.start(bash("echo " + i), RunListener.NONE));
        }
        release.countDown();
        rest.forEach(Execution::await);
        first.await();
        List<String> expected = new ArrayList<>(List.of("echo first"));
        for (int i = 0; i < 20; i++) {
            expected.add("echo " + i);
        }
        assertThat(backend.startedRuns).containsExactlyElementsOf(expected);
    }

    @Test
    void aGroupWithManyRunsQueuedDoesNotStarveAnotherGroupsSingleRun() {
        ScriptedBackend backend = backend(blockOnFirstStep());
        CodeRunner runner = runner(backend, 1, 1000);
        Execution first = runner.start(bash("echo first").withFairnessKey("course-a"), RunListener.NONE);
        List<Execution> all = new ArrayList<>(List.of(first));
        for (int i = 0; i < 200; i++) {
            all.add(runner.start(bash("echo a" + i).withFairnessKey("course-a"), RunListener.NONE));
        }
        all.add(runner.start(bash("echo b0").withFairnessKey("student-b"), RunListener.NONE));
        all.add(runner.start(bash("echo unkeyed"), RunListener.NONE));
        release.countDown();
        all.forEach(Execution::await);
        // a0 was first in the queue; then the groups take turns: b0, then the unkeyed run, then a1...
        assertThat(backend.startedRuns.subList(0, 5)).containsExactly("echo first", "echo a0", "echo b0",
                "echo unkeyed", "echo a1");
        assertThat(backend.startedRuns).hasSize(203);
    }

    @Test
    void aFullQueueRefusesTheNextRunBeforeTellingItsListenerAnything() {
        ScriptedBackend backend = backend(blockOnFirstStep());
        CodeRunner runner = runner(backend, 1, 3);
        runner.start(bash("echo running"), RunListener.NONE);
        awaitSteps(backend, 1);
        for (int i = 0; i < 3; i++) {
            runner.start(bash("echo " + i), RunListener.NONE);
        }
        List<Phase> heard = new ArrayList<>();
        assertThatThrownBy(() -> runner.start(bash("echo refused"), new RunListener() {
            @Override
            public void onPhase(Phase phase) {
                heard.add(phase);
            }
        })).isInstanceOf(QueueFullException.class).hasMessageContaining("3 runs are waiting")
                .isInstanceOf(CloudRunException.class);
        assertThat(heard).isEmpty();
        release.countDown();
    }

    @Test
    void aRunCancelledWhileQueuedEndsCancelledWithoutASandbox() {
        ScriptedBackend backend = backend(blockOnFirstStep());
        CodeRunner runner = runner(backend, 1, 10);
        Execution running = runner.start(bash("echo running"), RunListener.NONE);
        awaitSteps(backend, 1);
        List<Phase> phases = new ArrayList<>();
        Execution queued = runner.start(bash("echo queued"), new RunListener() {
            @Override
            public void onPhase(Phase phase) {
                phases.add(phase);
            }
        });
        queued.cancel();
        RunResult result = queued.await();
        assertThat(result.status()).isEqualTo(Status.CANCELLED);
        assertThat(result.message()).isEqualTo("cancelled before it started");
        assertThat(phases).containsExactly(Phase.QUEUED, Phase.FINISHED);
        release.countDown();
        assertThat(running.await().status()).isEqualTo(Status.OK);
        assertThat(backend.opened).hasValue(1);
    }

    @Test
    void closingCompletesQueuedAndRunningRunsAndRefusesNewOnes() {
        ScriptedBackend backend = backend(step -> Script.blocks(release));
        CodeRunner runner = runner(backend, 2, 100);
        List<Execution> runs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            runs.add(runner.start(bash("echo " + i), RunListener.NONE));
        }
        awaitSteps(backend, 2);
        runner.close();
        for (Execution run : runs) {
            assertThat(run.result()).isCompleted();
            assertThat(run.result().join().status()).isEqualTo(Status.CANCELLED);
        }
        assertThat(backend.open).hasValue(0);
        assertThatThrownBy(() -> runner.start(bash("echo late"), RunListener.NONE))
                .isInstanceOf(CloudRunException.class).hasMessageContaining("closed");
    }

    @Test
    void fiveThousandQueuedRunsHoldAHandfulOfThreads() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ScriptedBackend backend = backend(step -> Script.blocks(release));
        CodeRunner runner = runner(backend, 2, 10_000);
        int before = threads.getThreadCount();
        List<Execution> runs = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            runs.add(runner.start(bash("echo " + i), RunListener.NONE));
        }
        assertThat(threads.getThreadCount() - before).as("threads added by 5,000 queued runs").isLessThan(10);
        release.countDown();
        for (Execution run : runs) {
            assertThat(run.await().status()).isEqualTo(Status.OK);
        }
        assertThat(backend.opened).hasValue(5000);
        assertThat(backend.open).hasValue(0);
    }

    /** Start, cancel and close from many threads at once: every accepted run completes exactly once. */
    @RepeatedTest(5)
    void everyAcceptedRunCompletesExactlyOnceWhateverRacesWithIt() throws Exception {
        Random random = new Random();
        ScriptedBackend backend = backend(step -> random.nextBoolean() ? Script.prints("x")
                : Script.burnsCpu(Duration.ZERO));
        CodeRunner runner = runner(backend, 3, 10_000);
        Map<Execution, AtomicInteger> finishes = new ConcurrentHashMap<>();
        List<Execution> accepted = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger refused = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            work.add(callers.submit(() -> {
                for (int i = 0; i < 150; i++) {
                    AtomicInteger count = new AtomicInteger();
                    try {
                        Execution execution = runner.start(bash("echo race").withLimits(limits -> limits
                                .withWallTime(Duration.ofMillis(200))), new RunListener() {
                                    @Override
                                    public void onPhase(Phase phase) {
                                        if (phase == Phase.FINISHED) {
                                            count.incrementAndGet();
                                        }
                                    }
                                });
                        finishes.put(execution, count);
                        accepted.add(execution);
                        if (random.nextInt(3) == 0) {
                            execution.cancel();
                        }
                    } catch (CloudRunException e) {
                        assertThat(e).hasMessageContaining("closed");
                        refused.incrementAndGet();
                    }
                }
            }));
        }
        Thread.sleep(random.nextInt(300));
        runner.close();
        for (Future<?> future : work) {
            future.get(60, TimeUnit.SECONDS);
        }
        callers.shutdown();
        for (Execution execution : accepted) {
            RunResult result = execution.await(Duration.ofSeconds(30)).orElseThrow(
                    () -> new AssertionError("run " + execution.id() + " never completed"));
            assertThat(result.status()).isIn(Status.OK, Status.CANCELLED, Status.TIME_LIMIT);
            assertThat(finishes.get(execution)).as("FINISHED told once").hasValue(1);
        }
        assertThat(accepted.size() + refused.get()).isEqualTo(8 * 150);
        assertThat(backend.open).as("sandboxes still open").hasValue(0);
    }

    @Test
    void runsThatInstallIntoTheirOwnCacheLeaveNoBookKeepingBehind() {
        AtomicInteger runSteps = new AtomicInteger();
        ScriptedBackend backend = backend(step -> {
            if (step.kind() == StepSpec.Kind.INSTALL) {
                return Script.exits(0);
            }
            // Each run's first attempt misses the module; after the install it runs.
            return runSteps.getAndIncrement() % 2 == 0
                    ? Script.ends(ScriptedBackend.outcome(1), "ModuleNotFoundError: No module named 'yaml'\n")
                    : Script.prints("ok\n");
        });
        RunEngine engine = new RunEngine(backend, LanguageRegistry.loadDefault(), Limits.defaults(),
                Limits.defaultCeiling(), 1, 100, 256L << 20,
                new PackageSettings(Map.of(), Limits.defaults(), 1L << 30), 0);
        try {
            for (int i = 0; i < 50; i++) {
                RunResult result = engine.start(RunRequest.of("python", "import yaml").withAutoInstall(),
                        RunListener.NONE).await();
                assertThat(result.status()).isEqualTo(Status.OK);
                assertThat(result.installedPackages()).containsExactly("PyYAML");
            }
            assertThat(engine.packageCacheEntries()).as("entries kept for run-private caches").isZero();
            engine.start(RunRequest.of("python", "import yaml").withAutoInstall().withPackageCache("project-1"),
                    RunListener.NONE).await();
            assertThat(engine.packageCacheEntries()).as("a named cache is remembered").isPositive();
        } finally {
            engine.close(Duration.ofSeconds(5));
        }
    }

    /** Waits until the backend has started {@code count} steps. */
    private static void awaitSteps(ScriptedBackend backend, int count) {
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.steps.size() >= count);
    }
}
