package dev.cloudrun.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import dev.cloudrun.spi.SandboxBackend;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Output handed to a listener as read-only views ({@link RunListener#onOutput(StreamKind, ByteBuffer)})
 * instead of copies: every byte arrives once, in order, per stream; a view cannot be written through
 * and starts at position 0; the result still holds the whole output; a listener with both
 * {@code onOutput} methods gets each chunk in both; the output cap counts as it does for copies; and
 * a listener with only the older {@code byte[]} method is unchanged. Each behaviour that a pool could
 * serve runs twice, so that a backend with pre-started sandboxes serves the second run from its pool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class OutputViewTck {
    private static final int MIB = 1024 * 1024;
    /** 8 MiB of numbered lines on stdout and a shorter stream on stderr, with the SHA-256 of each as the last stderr line. */
    private static final String NUMBERED = "import hashlib, sys\n"
            + "out = b''.join(b'%08d ' % i + b'y' * 54 + b'\\n' for i in range(131072))\n"
            + "err = b''.join(b'e%07d\\n' % i for i in range(20000))\n"
            + "for start in range(0, len(out), 100000):\n"
            + "    sys.stdout.buffer.write(out[start:start + 100000]); sys.stdout.buffer.flush()\n"
            + "    if start % 1000000 == 0:\n"
            + "        sys.stderr.buffer.write(err[start // 50:start // 50 + 20000]); sys.stderr.buffer.flush()\n"
            + "sys.stderr.write('sha ' + hashlib.sha256(out).hexdigest() + ' ' + hashlib.sha256(err).hexdigest() + '\\n')\n";

    private SandboxBackend backend;
    private CodeRunner runner;

    /** @return a new backend to test; the kit closes it */
    protected abstract SandboxBackend createBackend();

    /**
     * @param backend the backend under test
     * @return descriptions of everything it has left behind now (empty when clean)
     */
    protected abstract List<String> leftovers(SandboxBackend backend);

    /** @return the backend under test, for a subclass's checks of its own */
    protected SandboxBackend backend() {
        return backend;
    }

    @BeforeAll
    void startRunner() {
        backend = createBackend();
        runner = CodeRunner.create(config -> config.backend(backend).maxConcurrentRuns(2));
    }

    @AfterEach
    void nothingLeftBehind() {
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    @AfterAll
    void closeRunner() {
        runner.close();
        LeakChecks.assertNoCloudRunThreads();
        LeakChecks.assertNothingLeftBehind(() -> leftovers(backend));
    }

    /** Copies what each view shows during the call, and records what it finds out about the view. */
    private static class ViewRecorder implements RunListener {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        final List<String> problems = new ArrayList<>();
        int views;

        @Override
        public void onOutput(StreamKind stream, ByteBuffer chunk) {
            views++;
            if (!chunk.isReadOnly()) {
                problems.add("a view is writable");
            }
            if (chunk.position() != 0 || !chunk.hasRemaining()) {
                problems.add("a view at position " + chunk.position() + " with " + chunk.remaining() + " bytes");
            }
            try {
                chunk.put(0, (byte) '!');
                problems.add("a write through a view went through");
            } catch (ReadOnlyBufferException expected) {
                // As documented.
            }
            byte[] copy = new byte[chunk.remaining()];
            chunk.get(copy);
            (stream == StreamKind.STDOUT ? stdout : stderr).writeBytes(copy);
        }
    }

    private RunRequest numbered() {
        return RunRequest.of("python", NUMBERED).withLimits(limits -> limits.withMaxOutputBytes(16L * MIB)
                .withWallTime(Duration.ofSeconds(60)).withCpuTime(Duration.ofSeconds(60)));
    }

    @Test
    void viewsCarryEveryByteOnceInOrderAndTheResultStillHoldsTheOutput() {
        for (int attempt = 0; attempt < 2; attempt++) {
            ViewRecorder views = new ViewRecorder();
            RunResult result = runner.run(numbered(), views);

            assertThat(result.status()).as("%s", result).isEqualTo(Status.OK);
            assertThat(views.problems).isEmpty();
            String[] hashes = lastLine(result.stderr()).split(" ");
            assertThat(hashes[0]).isEqualTo("sha");
            byte[] stdout = views.stdout.toByteArray();
            assertThat(stdout).hasSize(131072 * 64);
            assertThat(sha256(stdout)).as("what the views showed of stdout, against the program's own hash")
                    .isEqualTo(hashes[1]);
            byte[] stderr = views.stderr.toByteArray();
            byte[] stderrData = java.util.Arrays.copyOf(stderr, 20000 * 9);
            assertThat(sha256(stderrData)).as("stderr's data, against the program's own hash").isEqualTo(hashes[2]);
            assertThat(result.stdoutBytes()).as("the result keeps the whole output").isEqualTo(stdout);
            assertThat(result.stderrBytes()).isEqualTo(stderr);
            assertThat(result.stdoutTruncated()).isFalse();
            assertThat(views.views).as("chunks, not one call per run").isGreaterThan(2);
        }
    }

    @Test
    void aListenerWithBothMethodsGetsEachChunkInBothTheViewFirst() {
        List<String> calls = new ArrayList<>();
        ByteArrayOutputStream fromArrays = new ByteArrayOutputStream();
        ByteArrayOutputStream fromViews = new ByteArrayOutputStream();
        RunResult result = runner.run(RunRequest.of("python",
                "import sys, time\nfor i in range(5):\n    print('line', i, flush=True); time.sleep(0.05)\n"),
                new RunListener() {
                    private ByteBuffer lastView;

                    @Override
                    public void onOutput(StreamKind stream, ByteBuffer chunk) {
                        calls.add("view");
                        byte[] copy = new byte[chunk.remaining()];
                        chunk.duplicate().get(copy);
                        fromViews.writeBytes(copy);
                        lastView = chunk;
                    }

                    @Override
                    public void onOutput(StreamKind stream, byte[] chunk) {
                        calls.add(ByteBuffer.wrap(chunk).equals(lastView) ? "array" : "a different array");
                        fromArrays.writeBytes(chunk);
                    }
                });

        assertThat(result.status()).isEqualTo(Status.OK);
        assertThat(calls).isNotEmpty().hasSizeGreaterThanOrEqualTo(2);
        for (int i = 0; i < calls.size(); i += 2) {
            assertThat(calls.subList(i, i + 2)).containsExactly("view", "array");
        }
        String expected = "line 0\nline 1\nline 2\nline 3\nline 4\n";
        assertThat(fromViews.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        assertThat(fromArrays.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        assertThat(result.stdout()).isEqualTo(expected);
    }

    @Test
    void viewsStopAtTheOutputCap() {
        long cap = 256 * 1024;
        for (int attempt = 0; attempt < 2; attempt++) {
            ViewRecorder views = new ViewRecorder();
            RunResult result = runner.run(RunRequest.of("python", "while True:\n    print('x' * 999)")
                    .withLimits(limits -> limits.withMaxOutputBytes(cap).withWallTime(Duration.ofSeconds(30))
                            .withCpuTime(Duration.ofSeconds(30))), views);

            assertThat(result.status()).isEqualTo(Status.OUTPUT_LIMIT);
            assertThat(views.problems).isEmpty();
            assertThat(views.stdout.size() + views.stderr.size()).as("bytes the views showed").isEqualTo(cap);
            assertThat(result.stdoutBytes()).isEqualTo(views.stdout.toByteArray());
            assertThat(result.stdoutTruncated()).isTrue();
        }
    }

    @Test
    void aListenerWithOnlyArraysGetsCopiesItMayKeep() {
        List<byte[]> kept = new ArrayList<>();
        RunResult result = runner.run(numbered(), new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) {
                if (stream == StreamKind.STDOUT) {
                    kept.add(chunk);
                }
            }
        });

        assertThat(result.status()).isEqualTo(Status.OK);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        kept.forEach(joined::writeBytes);
        // Read only after the run: arrays the listener kept were its own, never overwritten by later reads.
        assertThat(sha256(joined.toByteArray())).isEqualTo(lastLine(result.stderr()).split(" ")[1]);
        assertThat(result.stdoutBytes()).isEqualTo(joined.toByteArray());
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
