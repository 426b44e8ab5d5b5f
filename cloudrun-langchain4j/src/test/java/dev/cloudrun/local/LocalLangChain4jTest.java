package dev.cloudrun.local;

import dev.cloudrun.langchain4j.LangChain4jTck;
import dev.cloudrun.spi.SandboxBackend;
import java.util.List;

/** The LangChain4j integration on the local bubblewrap backend. */
class LocalLangChain4jTest extends LangChain4jTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create();
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
