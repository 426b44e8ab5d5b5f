package dev.cloudrun.internal;

import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A backend for engine tests that runs nothing: each step plays a {@link Script} chosen by the
 * test, such as "print this and exit 0", "be OOM-killed", or "run until killed or released". It
 * counts what it opened and what is still open, so tests see leaks.
 */
final class ScriptedBackend implements SandboxBackend {
    /** What one step does. */
    record Script(String stdout, String stderr, StepOutcome outcome, boolean untilKilled, Duration cpuSoFar,
                  CountDownLatch release) {
        static Script exits(int code) {
            return new Script("", "", ScriptedBackend.outcome(code), false, Duration.ZERO, null);
        }

        static Script prints(String stdout) {
            return new Script(stdout, "", ScriptedBackend.outcome(0), false, Duration.ZERO, null);
        }

        /** Runs until killed (exit 137) or until {@code release} opens (exit 0). */
        static Script blocks(CountDownLatch release) {
            return new Script("", "", ScriptedBackend.outcome(0), true, Duration.ZERO, release);
        }

        static Script ends(StepOutcome outcome, String stderr) {
            return new Script("", stderr, outcome, false, Duration.ZERO, null);
        }

        /** Runs until killed, reporting {@code cpu} used so far. */
        static Script burnsCpu(Duration cpu) {
            return new Script("", "", ScriptedBackend.outcome(0), true, cpu, null);
        }
    }

    static StepOutcome outcome(int exitCode) {
        return new StepOutcome(exitCode, Duration.ofMillis(5), Duration.ofMillis(1), 1024, false, null);
    }

    private final Function<StepSpec, Script> scripts;
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();
    final List<StepSpec> steps = new CopyOnWriteArrayList<>();
    final List<String> startedRuns = new CopyOnWriteArrayList<>();

    ScriptedBackend(Function<StepSpec, Script> scripts) {
        this.scripts = scripts;
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public Sandbox open(SandboxSpec spec) {
        opened.incrementAndGet();
        open.incrementAndGet();
        startedRuns.add(new String(spec.files().values().iterator().next(), StandardCharsets.UTF_8));
        return new Sandbox() {
            private boolean closed;

            @Override
            public SandboxProcess start(StepSpec step, OutputSink sink) {
                steps.add(step);
                return new ScriptedProcess(scripts.apply(step), sink);
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    open.decrementAndGet();
                }
            }
        };
    }

    @Override
    public void close() { }

    private static final class ScriptedProcess implements SandboxProcess {
        private final Script script;
        private final CompletableFuture<StepOutcome> end = new CompletableFuture<>();

        ScriptedProcess(Script script, OutputSink sink) {
            this.script = script;
            write(sink, StreamKind.STDOUT, script.stdout());
            write(sink, StreamKind.STDERR, script.stderr());
            if (!script.untilKilled()) {
                end.complete(script.outcome());
            } else if (script.release() != null) {
                CompletableFuture.runAsync(() -> {
                    try {
                        script.release().await();
                        end.complete(script.outcome());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }

        private static void write(OutputSink sink, StreamKind stream, String text) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            if (bytes.length > 0) {
                sink.accept(stream, bytes, 0, bytes.length);
            }
        }

        @Override
        public OutputStream stdin() {
            return OutputStream.nullOutputStream();
        }

        @Override
        public void kill() {
            end.complete(new StepOutcome(137, Duration.ofMillis(5), script.cpuSoFar(), 1024, false, null));
        }

        @Override
        public Duration cpuTimeSoFar() {
            return script.cpuSoFar();
        }

        @Override
        public Optional<StepOutcome> await(Duration timeout) throws InterruptedException {
            try {
                return Optional.of(end.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                return Optional.empty();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
