package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceEntry;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepOutcome;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.TerminalProcess;
import dev.cloudrun.spi.TerminalSink;
import dev.cloudrun.spi.WorkspaceSandbox;
import dev.cloudrun.spi.WorkspaceSandboxSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The engine's side of workspaces, on a backend that keeps its files in memory and whose
 * terminals answer {@code exit N}: paths and languages are checked before the backend is asked,
 * runs go through the run engine on the workspace's own sandbox, the idle clock runs only while no
 * terminal is open and no run goes on, listeners hear one call at a time with the end last, and
 * closing (the workspace's or the runner's) ends everything.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkspaceSessionTest {
    private MemoryBackend backend;
    private CodeRunner runner;

    @BeforeEach
    void start() {
        backend = new MemoryBackend();
        runner = CodeRunner.create(config -> config.backend(backend));
    }

    @AfterEach
    void stop() {
        runner.close();
    }

    @Test
    void pathsAndTheLanguageAreCheckedBeforeTheBackendIsAsked() {
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("python").withFiles(Map.of("a/../../x", new byte[0]))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("files");
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("python").withFiles(Map.of("/etc/x", new byte[0]))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("files");
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("cobol-85")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("language");
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("python").withDiskBytes(4)
                .withFiles(Map.of("big.txt", new byte[5])))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("diskBytes");
        assertThat(backend.opened).isEmpty();

        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("py").withFiles(Map.of("./main.py", new byte[] {1})))) {
            assertThat(backend.opened).hasSize(1);
            assertThat(backend.opened.get(0).spec.files()).containsOnlyKeys("main.py");
            assertThat(backend.opened.get(0).spec.language().id()).isEqualTo("python");
            for (String bad : List.of("../x", "/x", "a\u0007b", "", "a//b")) {
                assertThatThrownBy(() -> workspace.write(bad, new byte[0])).as(bad).isInstanceOf(InvalidRequestException.class)
                        .hasMessageContaining("path");
            }
            assertThatThrownBy(() -> workspace.rename("main.py", "../main.py")).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("to");
            assertThatThrownBy(() -> workspace.openTerminal(80, 0, data -> { })).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("rows");
            assertThat(backend.opened.get(0).files).containsOnlyKeys("main.py");
        }
    }

    @Test
    void aRunWritesItsFilesIntoTheWorkspaceAndRunsOnItsSandbox() {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            workspace.write("data.txt", "from the api".getBytes(StandardCharsets.UTF_8));
            RunResult result = workspace.run(RunRequest.of("python", "print(1)\n").withMainFileName("main.py"));

            assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
            // The memory sandbox's steps print the names of the files they find.
            assertThat(result.stdout()).isEqualTo("data.txt main.py\n");
            assertThat(backend.runSandboxesOpened.get()).as("no sandbox of its own").isZero();
            assertThat(workspace.read("main.py")).isEqualTo("print(1)\n".getBytes(StandardCharsets.UTF_8));
            assertThat(workspace.isOpen()).isTrue();
        }
        assertThat(backend.opened.get(0).closed).isTrue();
    }

    @Test
    void aRunFromTheTreeLeavesTheTreesMainFileAsItIsAndStartReturnsTheExecution() {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            workspace.write("main.py", "print('as the shell left it')\n".getBytes(StandardCharsets.UTF_8));
            Execution execution = workspace.startFromTree(RunRequest.of("python", "print('an older copy')\n")
                    .withMainFileName("./main.py").withFile("extra.txt", "x"), RunListener.NONE);
            RunResult result = execution.await();

            assertThat(result.status()).as(result.message()).isEqualTo(Status.OK);
            assertThat(result.stdout()).isEqualTo("extra.txt main.py\n");
            assertThat(workspace.read("main.py")).asString(StandardCharsets.UTF_8).isEqualTo("print('as the shell left it')\n");
            assertThat(workspace.read("extra.txt")).asString(StandardCharsets.UTF_8).isEqualTo("x");
            assertThatThrownBy(() -> workspace.startFromTree(RunRequest.of("python", "print(1)\n"), RunListener.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("mainFileName");

            workspace.start(RunRequest.of("python", "print('from the request')\n").withMainFileName("main.py"),
                    RunListener.NONE).await();
            assertThat(workspace.read("main.py")).asString(StandardCharsets.UTF_8).isEqualTo("print('from the request')\n");
            workspace.close();
            assertThatThrownBy(() -> workspace.start(RunRequest.of("python", "print(1)\n"), RunListener.NONE))
                    .isInstanceOf(CloudRunException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void theIdleClockRunsOnlyWhileNoTerminalIsOpen() throws Exception {
        Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python").withIdleTimeout(Duration.ofMillis(300)));
        Recorder recorder = new Recorder();
        Terminal terminal = workspace.openTerminal(80, 24, recorder);
        // Longer than the idle timeout, with the terminal open: the workspace stays.
        Thread.sleep(900);
        assertThat(workspace.isOpen()).isTrue();
        terminal.write("exit 3\r".getBytes(StandardCharsets.UTF_8));
        assertThat(terminal.await(Duration.ofSeconds(10))).hasValue(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> !workspace.isOpen());
        assertThat(backend.opened.get(0).closed).isTrue();
        assertThatThrownBy(() -> workspace.openTerminal(80, 24, recorder)).isInstanceOf(CloudRunException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void anUnusedWorkspaceClosesAfterItsIdleTimeoutAndAnyAfterItsLifetime() throws Exception {
        Workspace unused = runner.openWorkspace(WorkspaceSpec.of("python").withIdleTimeout(Duration.ofMillis(200)));
        Workspace busy = runner.openWorkspace(WorkspaceSpec.of("python").withMaxLifetime(Duration.ofMillis(500)));
        Terminal terminal = busy.openTerminal(80, 24, new Recorder());
        await().atMost(Duration.ofSeconds(10)).until(() -> !unused.isOpen() && !busy.isOpen());
        assertThat(terminal.await(Duration.ofSeconds(10))).isPresent();
        assertThat(backend.opened).allMatch(sandbox -> sandbox.closed);
    }

    @Test
    void aListenerHearsOneCallAtATimeInOrderAndTheEndLast() throws Exception {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            Recorder recorder = new Recorder();
            Terminal terminal = workspace.openTerminal(80, 24, recorder);
            terminal.write("flood\r".getBytes(StandardCharsets.UTF_8));
            assertThat(terminal.await(Duration.ofSeconds(10))).hasValue(0);
            assertThat(recorder.overlapped).isFalse();
            assertThat(recorder.afterExit).isFalse();
            assertThat(recorder.exitStatus).isEqualTo(0);
            StringBuilder expected = new StringBuilder("flood\r");
            for (int i = 0; i < MemoryBackend.FLOOD; i++) {
                expected.append(i).append('\n');
            }
            assertThat(recorder.text()).isEqualTo(expected.toString());
        }
    }

    @Test
    void closingEndsTerminalsAndTheSandboxAndTheRunnerClosesOpenWorkspaces() throws Exception {
        Workspace first = runner.openWorkspace(WorkspaceSpec.of("python"));
        Workspace second = runner.openWorkspace(WorkspaceSpec.of("python"));
        Terminal one = first.openTerminal(80, 24, new Recorder());
        Terminal two = first.openTerminal(80, 24, new Recorder());
        first.close();
        first.close();
        assertThat(one.await(Duration.ofSeconds(10))).isPresent();
        assertThat(two.await(Duration.ofSeconds(10))).isPresent();
        assertThat(first.isOpen()).isFalse();
        assertThat(backend.opened.get(0).closed).isTrue();
        assertThat(backend.opened.get(0).closeCount.get()).isEqualTo(1);
        assertThatThrownBy(() -> first.list()).isInstanceOf(CloudRunException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> one.write(new byte[] {'x'})).isInstanceOf(CloudRunException.class);

        Terminal three = second.openTerminal(80, 24, new Recorder());
        runner.close();
        assertThat(second.isOpen()).isFalse();
        assertThat(three.await(Duration.ofSeconds(10))).isPresent();
        assertThat(backend.opened.get(1).closed).isTrue();
        assertThatThrownBy(() -> runner.openWorkspace(WorkspaceSpec.of("python"))).isInstanceOf(CloudRunException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aWorkspaceHasAtMostSoManyTerminals() {
        try (Workspace workspace = runner.openWorkspace(WorkspaceSpec.of("python"))) {
            List<Terminal> open = new ArrayList<>();
            for (int i = 0; i < WorkspaceSession.MAX_TERMINALS; i++) {
                open.add(workspace.openTerminal(80, 24, data -> { }));
            }
            assertThatThrownBy(() -> workspace.openTerminal(80, 24, data -> { })).isInstanceOf(CloudRunException.class)
                    .hasMessageContaining(WorkspaceSession.MAX_TERMINALS + " terminals open");
            assertThat(backend.opened.get(0).terminalsStarted.get()).isEqualTo(WorkspaceSession.MAX_TERMINALS);
        }
    }

    /** Records a terminal's output and end, and whether calls ever overlapped or came after the end. */
    private static final class Recorder implements TerminalListener {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final AtomicBoolean inCall = new AtomicBoolean();
        private volatile boolean overlapped;
        private volatile boolean afterExit;
        private volatile Integer exitStatus;

        @Override
        public void output(byte[] data) {
            enter();
            if (exitStatus != null) {
                afterExit = true;
            }
            synchronized (bytes) {
                bytes.writeBytes(data);
            }
            Thread.yield();
            inCall.set(false);
        }

        @Override
        public void exited(int status) {
            enter();
            exitStatus = status;
            inCall.set(false);
        }

        private void enter() {
            if (!inCall.compareAndSet(false, true)) {
                overlapped = true;
            }
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * Workspaces whose files are a map and whose terminals echo input, end at {@code exit N} (or
     * {@code flood}, which writes many lines from another thread first); a run's step prints the
     * names of the files it finds.
     */
    private static final class MemoryBackend implements SandboxBackend {
        static final int FLOOD = 2000;
        final List<MemoryWorkspace> opened = new CopyOnWriteArrayList<>();
        final AtomicInteger runSandboxesOpened = new AtomicInteger();

        @Override
        public String name() {
            return "memory";
        }

        @Override
        public dev.cloudrun.spi.Sandbox open(SandboxSpec spec) {
            runSandboxesOpened.incrementAndGet();
            throw new CloudRunException("runs of a workspace must not open sandboxes of their own");
        }

        @Override
        public WorkspaceSandbox openWorkspace(WorkspaceSandboxSpec spec) {
            MemoryWorkspace workspace = new MemoryWorkspace(spec);
            opened.add(workspace);
            return workspace;
        }

        @Override
        public void close() { }
    }

    private static final class MemoryWorkspace implements WorkspaceSandbox {
        final WorkspaceSandboxSpec spec;
        final Map<String, byte[]> files = new TreeMap<>();
        final AtomicInteger closeCount = new AtomicInteger();
        final AtomicInteger terminalsStarted = new AtomicInteger();
        final List<MemoryTerminal> terminals = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        MemoryWorkspace(WorkspaceSandboxSpec spec) {
            this.spec = spec;
            files.putAll(spec.files());
        }

        @Override
        public SandboxProcess start(StepSpec step, OutputSink sink) {
            String names;
            synchronized (files) {
                names = String.join(" ", files.keySet()) + "\n";
            }
            byte[] out = names.getBytes(StandardCharsets.UTF_8);
            sink.accept(StreamKind.STDOUT, out, 0, out.length);
            return new SandboxProcess() {
                @Override
                public OutputStream stdin() {
                    return OutputStream.nullOutputStream();
                }

                @Override
                public void kill() { }

                @Override
                public Duration cpuTimeSoFar() {
                    return Duration.ZERO;
                }

                @Override
                public Optional<StepOutcome> await(Duration timeout) {
                    return Optional.of(new StepOutcome(0, Duration.ofMillis(1), Duration.ofMillis(1), 1024, false, null));
                }
            };
        }

        @Override
        public TerminalProcess openTerminal(int columns, int rows, TerminalSink sink) {
            if (closed) {
                throw new CloudRunException("closed");
            }
            terminalsStarted.incrementAndGet();
            MemoryTerminal terminal = new MemoryTerminal(sink);
            terminals.add(terminal);
            return terminal;
        }

        @Override
        public List<WorkspaceEntry> list() {
            synchronized (files) {
                return files.entrySet().stream().map(e -> new WorkspaceEntry(e.getKey(), false, e.getValue().length)).toList();
            }
        }

        @Override
        public byte[] read(String path) {
            synchronized (files) {
                byte[] content = files.get(path);
                if (content == null) {
                    throw new InvalidRequestException("path", "no such file: " + path);
                }
                return content.clone();
            }
        }

        @Override
        public void write(String path, byte[] content) {
            synchronized (files) {
                files.put(path, content.clone());
            }
        }

        @Override
        public void delete(String path) {
            synchronized (files) {
                files.remove(path);
            }
        }

        @Override
        public void rename(String from, String to) {
            synchronized (files) {
                files.put(to, files.remove(from));
            }
        }

        @Override
        public int processCount() {
            return closed ? 0 : terminals.size();
        }

        @Override
        public void close() {
            closeCount.incrementAndGet();
            closed = true;
            terminals.forEach(MemoryTerminal::hangUp);
        }
    }

    /** Echoes what is typed; a line {@code exit N} ends it with N, {@code flood} writes lines from another thread, then ends. */
    private static final class MemoryTerminal implements TerminalProcess {
        private final TerminalSink sink;
        private final CompletableFuture<Integer> status = new CompletableFuture<>();
        private final StringBuilder line = new StringBuilder();

        MemoryTerminal(TerminalSink sink) {
            this.sink = sink;
        }

        @Override
        public OutputStream input() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] data, int offset, int length) {
                    synchronized (MemoryTerminal.this) {
                        sink.output(data, offset, length);
                        line.append(new String(data, offset, length, StandardCharsets.UTF_8));
                        String typed = line.toString();
                        if (typed.startsWith("exit ") && typed.endsWith("\r")) {
                            status.complete(Integer.parseInt(typed.substring(5, typed.length() - 1)));
                        } else if (typed.equals("flood\r")) {
                            Thread writer = new Thread(() -> {
                                for (int i = 0; i < WorkspaceSessionTest.MemoryBackend.FLOOD; i++) {
                                    byte[] chunk = (i + "\n").getBytes(StandardCharsets.UTF_8);
                                    synchronized (MemoryTerminal.this) {
                                        sink.output(chunk, 0, chunk.length);
                                    }
                                }
                                status.complete(0);
                            });
                            writer.start();
                        }
                    }
                }
            };
        }

        @Override
        public void resize(int columns, int rows) { }

        @Override
        public OptionalInt await(Duration timeout) throws InterruptedException {
            try {
                return OptionalInt.of(status.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS));
            } catch (java.util.concurrent.TimeoutException e) {
                return OptionalInt.empty();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void hangUp() {
            status.complete(129);
        }
    }
}
