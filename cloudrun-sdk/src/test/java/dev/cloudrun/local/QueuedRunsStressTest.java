package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.tck.LeakChecks;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 5,000 runs queued at once on a runner with 2 slots of the real local sandbox, with random cancels
 * while they wait and while they run: the queue holds records, not threads, every run completes, and
 * nothing is left behind. {@code -Dcloudrun.stress.runs=N} changes the count.
 */
class QueuedRunsStressTest {
    private static final int RUNS = Integer.getInteger("cloudrun.stress.runs", 5000);

    @Test
    void fiveThousandQueuedRunsOnTwoSlotsAllCompleteWithAHandfulOfThreadsAndLeaveNothing() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        LocalSandboxBackend backend = LocalSandboxBackend.create();
        Random random = new Random(42);
        int threadsBefore = threads.getThreadCount();
        threads.resetPeakThreadCount();
        long started = System.nanoTime();
        Map<Status, Integer> statuses = new EnumMap<>(Status.class);
        int peakThreads;
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2))) {
            List<Execution> runs = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                // One run in fifty sleeps, so that some cancels land on a running step.
                String source = i % 50 == 0 ? "sleep 30" : "echo " + i;
                runs.add(runner.start(RunRequest.of("bash", source).withFairnessKey("user-" + (i % 7)), RunListener.NONE));
            }
            long heapQueued = memory.getHeapMemoryUsage().getUsed();
            int threadsQueued = threads.getThreadCount();
            for (int i = 0; i < RUNS; i++) {
                if (i % 50 == 0 || random.nextInt(20) == 0) {
                    runs.get(random.nextInt(RUNS)).cancel();
                }
                if (i % 50 == 0) {
                    runs.get(i).cancel();
                }
            }
            for (int i = 0; i < RUNS; i++) {
                RunResult result = runs.get(i).await(Duration.ofMinutes(5))
                        .orElseThrow(() -> new AssertionError("a run never completed"));
                statuses.merge(result.status(), 1, Integer::sum);
                if (result.status() == Status.OK) {
                    assertThat(result.stdout()).isEqualTo(i + "\n");
                } else {
                    assertThat(result.status()).as(result.message()).isEqualTo(Status.CANCELLED);
                }
            }
            peakThreads = threads.getPeakThreadCount();
            System.out.printf("stress: %d runs, 2 slots: %.1f s; threads before %d, with all queued %d, peak %d; "
                            + "heap with all queued %d MiB; %s%n", RUNS, (System.nanoTime() - started) / 1e9,
                    threadsBefore, threadsQueued, peakThreads, heapQueued >> 20, statuses);
            assertThat(statuses.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(RUNS);
            assertThat(statuses).containsKeys(Status.OK, Status.CANCELLED);
            assertThat(peakThreads - threadsBefore).as("threads the runner added at its peak").isLessThan(40);
            LeakChecks.assertNothingLeftBehind(backend::leftovers);
        }
        LeakChecks.assertNoCloudRunThreads();
        assertThat(backend.leftovers()).isEmpty();
    }
}
