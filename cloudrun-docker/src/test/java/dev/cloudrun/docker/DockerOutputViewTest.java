package dev.cloudrun.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.OutputViewTck;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * Output as read-only views on the Docker backend with its warm pool (pre-started containers, their
 * output read from FIFOs): the {@link OutputViewTck}. The kit's second runs are served by the pool.
 */
class DockerOutputViewTest extends OutputViewTck {
    @AfterAll
    void thePoolServedRuns() {
        DockerPoolStatistics pool = ((DockerSandboxBackend) backend()).poolStatistics();
        assertThat(pool.hits()).as("%s", pool).isPositive();
    }

    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(2));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
