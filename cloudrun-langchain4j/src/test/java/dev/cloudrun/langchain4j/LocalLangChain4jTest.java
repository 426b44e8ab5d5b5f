package dev.cloudrun.langchain4j;

import dev.cloudrun.local.LocalSandboxBackend;
import dev.cloudrun.spi.SandboxBackend;

/** The LangChain4j integration on the local bubblewrap backend. */
class LocalLangChain4jTest extends LangChain4jTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }
}
