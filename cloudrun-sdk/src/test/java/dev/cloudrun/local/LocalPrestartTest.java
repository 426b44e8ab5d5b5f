package dev.cloudrun.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.PrestartTck;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pre-started interpreters on the local backend: the {@link PrestartTck}, and the local pool's own
 * life cycle (it empties when idle and on {@code releaseIdle}).
 */
class LocalPrestartTest extends PrestartTck {
    @Override
    protected SandboxBackend createWarmBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestartIdle(Duration.ofSeconds(2)));
    }

    @Override
    protected SandboxBackend createColdBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
    }

    @Override
    protected long prestartedRuns(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).warmRuntimes().servedRuns();
    }

    @Override
    protected int readyInterpreters(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).warmRuntimes().readySandboxes();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }

    private LocalSandboxBackend local() {
        return (LocalSandboxBackend) warmBackend();
    }

    @Test
    void releaseIdleDestroysTheWaitingSandboxesAndTheNextRunsTeachAgain() throws Exception {
        RunRequest request = RunRequest.of("python", "print('released')");
        runPrestarted(request);
        waitUntil(() -> local().warmRuntimes().readySandboxes() > 0);
        warmRunner().releaseIdle();
        assertThat(local().warmRuntimes().readySandboxes()).isZero();
        waitUntil(() -> local().leftovers().isEmpty());
        // Learned again from the next cold run.
        RunResult again = runPrestarted(request);
        assertThat(again.stdout()).isEqualTo("released\n");
    }

    @Test
    void thePoolEmptiesWhenIdle() throws Exception {
        runPrestarted(RunRequest.of("python", "print('idle soon')"));
        waitUntil(() -> local().warmRuntimes().readySandboxes() > 0);
        // Two seconds without a run (prestartIdle): the sweep destroys them, and nothing is left.
        waitUntil(() -> local().warmRuntimes().readySandboxes() == 0);
        waitUntil(() -> local().leftovers().isEmpty());
        assertThat(local().leftovers()).isEqualTo(List.of());
    }
}
