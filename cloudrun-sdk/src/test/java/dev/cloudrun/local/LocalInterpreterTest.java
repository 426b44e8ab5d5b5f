package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.InterpreterTck;
import java.util.List;

/** The local bubblewrap backend's stateful interpreters against the interpreter kit. */
class LocalInterpreterTest extends InterpreterTck {
    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().prestart(false));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        return ((LocalSandboxBackend) backend).leftovers();
    }
}
