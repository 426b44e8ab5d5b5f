package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The leak checks every kit runs: after each test the backend holds nothing for finished runs, and
 * after the runner closes no CloudRun thread is alive. Clean-up may finish just after a result is
 * published, so each check waits a while for the condition before it fails.
 */
public final class LeakChecks {
    /** Every CloudRun thread's name starts with this. */
    public static final String THREAD_PREFIX = "cloudrun-";
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private LeakChecks() { }

    /**
     * Fails unless the backend's leftovers are gone within a few seconds.
     *
     * @param leftovers lists what the backend still holds (containers, folders, cgroups, ...)
     */
    public static void assertNothingLeftBehind(Supplier<List<String>> leftovers) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(leftovers.get()).as("resources left behind by the backend").isEmpty());
    }

    /** Fails unless every CloudRun thread has ended within a few seconds. */
    public static void assertNoCloudRunThreads() {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThat(Thread.getAllStackTraces().keySet())
                        .filteredOn(thread -> thread.isAlive() && thread.getName().startsWith(THREAD_PREFIX))
                        .extracting(Thread::getName).as("CloudRun threads alive after close").isEmpty());
    }
}
