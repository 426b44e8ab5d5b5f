package dev.cloudrun.langchain4j;

import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.spi.SandboxBackend;

/**
 * The LangChain4j integration on the Docker backend. Needs a running daemon and the language images
 * ({@code images/build.sh}); without them it fails rather than being skipped.
 */
class DockerLangChain4jTest extends LangChain4jTck {
    @Override
    protected SandboxBackend createBackend() {
        return DockerSandboxBackend.create(new DockerBackendOptions().maxConcurrentRuns(4));
    }
}
