package dev.cloudrun.docker;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's sandbox while the warm pool is on. The pool's sandboxes are kept per first step, which
 * the backend learns only when the run starts it, so this one decides then: a ready sandbox from
 * the {@link DockerPool} when the step can run in a pre-started container and one is ready,
 * otherwise a cold {@link DockerSandbox} made as without the pool. Everything after goes to
 * that sandbox; closing it removes what the run used and tells the pool which steps the run had.
 */
final class PoolingSandbox implements Sandbox {
    private final DockerSandboxBackend backend;
    private final DockerPool pool;
    private final SandboxSpec spec;
    private final List<StepProfile> laterSteps = new ArrayList<>();
    private DockerSandbox delegate;
    private DockerPool.Key key;
    private boolean closed;

    PoolingSandbox(DockerSandboxBackend backend, DockerPool pool, SandboxSpec spec) {
        this.backend = backend;
        this.pool = pool;
        this.spec = spec;
    }

    @Override
    public SandboxProcess start(StepSpec step, OutputSink sink) {
        DockerSandbox sandbox;
        synchronized (this) {
            if (closed) {
                throw new CloudRunException("the sandbox is closed");
            }
            StepProfile profile = StepProfile.of(step);
            if (delegate == null) {
                DockerSandbox taken = null;
                if (profile != null) {
                    key = new DockerPool.Key(DockerSandbox.imageOf(spec), spec.workspaceBytes(), profile,
                            WarmInterpreter.of(spec, step, DockerSandbox.interpretersPossible(backend)));
                    taken = pool.take(key);
                }
                if (taken != null) {
                    taken.adopt(spec);
                    delegate = taken;
                } else {
                    delegate = DockerSandbox.create(backend, spec);
                }
                backend.opened(delegate);
            } else if (profile != null) {
                laterSteps.add(profile);
            }
            sandbox = delegate;
        }
        return sandbox.start(step, sink);
    }

    @Override
    public void close() {
        DockerSandbox sandbox;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            sandbox = delegate;
        }
        if (sandbox != null) {
            sandbox.close();
        }
        if (key != null) {
            pool.release(key, laterSteps);
        }
    }
}
