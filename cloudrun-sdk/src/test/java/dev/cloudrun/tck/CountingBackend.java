package dev.cloudrun.tck;

import dev.cloudrun.Language;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real backend seen through a window: it passes everything on and remembers each sandbox opened
 * and each step's command, so a test can prove how often the compiler ran.
 */
public final class CountingBackend implements SandboxBackend {
    private final SandboxBackend delegate;
    private final List<List<String>> commands = new CopyOnWriteArrayList<>();
    private final List<String> sandboxes = new CopyOnWriteArrayList<>();

    /** @param delegate the backend that does the work */
    public CountingBackend(SandboxBackend delegate) {
        this.delegate = delegate;
    }

    /** @return the backend that does the work */
    public SandboxBackend delegate() {
        return delegate;
    }

    /**
     * @param program the first word of a command, such as {@code gcc}
     * @return how many steps ran that program
     */
    public long stepsRunning(String program) {
        return commands.stream().filter(command -> command.get(0).equals(program)).count();
    }

    /** @return how many sandboxes were opened */
    public int sandboxesOpened() {
        return sandboxes.size();
    }

    /** Forgets what was counted. */
    public void reset() {
        commands.clear();
        sandboxes.clear();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void checkLanguage(Language language) {
        delegate.checkLanguage(language);
    }

    @Override
    public Sandbox open(SandboxSpec spec) {
        Sandbox sandbox = delegate.open(spec);
        sandboxes.add(spec.runId());
        return new Sandbox() {
            @Override
            public SandboxProcess start(StepSpec step, OutputSink sink) {
                commands.add(step.command());
                return sandbox.start(step, sink);
            }

            @Override
            public void close() {
                sandbox.close();
            }
        };
    }

    @Override
    public long packageCacheBytes(String cacheKey) {
        return delegate.packageCacheBytes(cacheKey);
    }

    @Override
    public void clearPackageCache(String cacheKey) {
        delegate.clearPackageCache(cacheKey);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
