package dev.cloudrun.docker;

import dev.cloudrun.langchain4j.LangChain4jTck;
import dev.cloudrun.spi.SandboxBackend;
import java.util.List;

/**
 * The LangChain4j integration on the Docker backend. Needs a running daemon and the language images
 * ({@code images/build.sh}); without them it fails rather than being skipped.
 */
class DockerLangChain4jTest extends LangChain4jTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((DockerSandboxBackend) backend).leftovers();
    }
}
