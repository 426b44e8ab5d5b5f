package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.RunListener;
import dev.cloudrun.RunResult;
import dev.cloudrun.Status;
import dev.cloudrun.StreamKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The step's sink on both of its paths: chunks a backend passes ({@code accept}) and pipes it
 * hands over ({@code drain}, read straight into the capture). The backends' kits check the same
 * behaviour end to end; these pin the edges (block boundaries, the cap inside a read, short reads).
 */
class OutputCollectorTest {
    /** What a listener saw, in order. */
    private static final class Recorder implements RunListener {
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final StringBuilder text = new StringBuilder();

        @Override
        public void onOutput(StreamKind stream, byte[] chunk) {
            events.add(stream + ":" + chunk.length);
            if (stream == StreamKind.STDOUT) {
                stdout.writeBytes(chunk);
            }
        }

        @Override
        public void onText(StreamKind stream, String chunk) {
            text.append(chunk);
        }
    }

    /** Returns at most {@code most} bytes a read, like a pipe that holds little. */
    private static InputStream shortReads(byte[] bytes, int most) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] buffer, int offset, int length) {
                return super.read(buffer, offset, Math.min(length, most));
            }
        };
    }

    private static byte[] randomBytes(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    @Test
    void aDrainedStreamIsCapturedAndHeardByteForByteAcrossManyBlocks() throws Exception {
        byte[] bytes = randomBytes(3 * 1024 * 1024 + 12345);
        Recorder listener = new Recorder();
        OutputCollector output = new OutputCollector(new ListenerGate(listener, "test"), Long.MAX_VALUE, () -> { }, null);

        output.drain(StreamKind.STDOUT, shortReads(bytes, 50_000));

        assertThat(output.bytes(StreamKind.STDOUT)).isEqualTo(bytes);
        assertThat(listener.stdout.toByteArray()).isEqualTo(bytes);
        RunResult result = RunResult.builder(Status.OK).stdout(output.chunks(StreamKind.STDOUT), false).build();
        assertThat(result.stdoutBytes()).isEqualTo(bytes);
        assertThat(output.truncated(StreamKind.STDOUT)).isFalse();
    }

    @Test
    void theCapCutsInsideAReadOnceAndMarksTheStream() throws Exception {
        byte[] bytes = randomBytes(300_000);
        AtomicInteger limits = new AtomicInteger();
        Recorder listener = new Recorder();
        OutputCollector output = new OutputCollector(new ListenerGate(listener, "test"), 100_000, limits::incrementAndGet, null);

        output.drain(StreamKind.STDOUT, shortReads(bytes, 30_000));
        output.drain(StreamKind.STDERR, new ByteArrayInputStream(new byte[] {1, 2, 3}));

        assertThat(limits).hasValue(1);
        assertThat(output.limitHit()).isTrue();
        assertThat(output.bytes(StreamKind.STDOUT)).isEqualTo(java.util.Arrays.copyOf(bytes, 100_000));
        assertThat(listener.stdout.toByteArray()).isEqualTo(java.util.Arrays.copyOf(bytes, 100_000));
        assertThat(output.truncated(StreamKind.STDOUT)).isTrue();
        assertThat(output.truncated(StreamKind.STDERR)).isTrue();
        assertThat(output.bytes(StreamKind.STDERR)).isEmpty();
    }

    @Test
    void textIsDecodedAcrossReadsForAListenerThatWantsIt() throws Exception {
        String text = "é€😀 ".repeat(40_000);
        Recorder listener = new Recorder();
        OutputCollector output = new OutputCollector(new ListenerGate(listener, "test"), Long.MAX_VALUE, () -> { }, null);

        output.drain(StreamKind.STDOUT, shortReads(text.getBytes(StandardCharsets.UTF_8), 7_777));
        output.finish();

        assertThat(listener.text).hasToString(text);
    }

    @Test
    void aListenerGetsCopiesAndTextOnlyForTheMethodsItHas() {
        assertThat(new ListenerGate(new Recorder(), "test")).returns(true, ListenerGate::wantsBytes)
                .returns(true, ListenerGate::wantsText);
        assertThat(new ListenerGate(RunListener.NONE, "test")).returns(false, ListenerGate::wantsBytes)
                .returns(false, ListenerGate::wantsText);
        assertThat(new ListenerGate(new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) { }
        }, "test")).returns(true, ListenerGate::wantsBytes).returns(false, ListenerGate::wantsText);
    }

    @Test
    void aTextOnlyListenerHearsTheTextDecodedFromTheCapture() throws Exception {
        StringBuilder heard = new StringBuilder();
        OutputCollector output = new OutputCollector(new ListenerGate(new RunListener() {
            @Override
            public void onText(StreamKind stream, String text) {
                heard.append(text);
            }
        }, "test"), Long.MAX_VALUE, () -> { }, null);
        String text = "ünïcödé ".repeat(30_000);

        output.drain(StreamKind.STDOUT, shortReads(text.getBytes(StandardCharsets.UTF_8), 4_099));
        output.finish();

        assertThat(heard).hasToString(text);
        assertThat(new String(output.bytes(StreamKind.STDOUT), StandardCharsets.UTF_8)).isEqualTo(text);
    }

    @Test
    void aRemappedStepKeepsItsStreamsInArrivalOrderInOneCapture() throws Exception {
        Recorder listener = new Recorder();
        OutputCollector output = new OutputCollector(new ListenerGate(listener, "test"), Long.MAX_VALUE, () -> { },
                StreamKind.COMPILER);

        output.drain(StreamKind.STDERR, new ByteArrayInputStream("error\n".getBytes(StandardCharsets.UTF_8)));
        output.drain(StreamKind.STDOUT, new ByteArrayInputStream("note\n".getBytes(StandardCharsets.UTF_8)));

        assertThat(new String(output.bytes(StreamKind.COMPILER), StandardCharsets.UTF_8)).isEqualTo("error\nnote\n");
        assertThat(listener.events).containsExactly("COMPILER:6", "COMPILER:5");
    }

    @Test
    void acceptedChunksAreCopiedOutOfTheCallersBuffer() {
        Recorder listener = new Recorder();
        OutputCollector output = new OutputCollector(new ListenerGate(listener, "test"), Long.MAX_VALUE, () -> { }, null);
        byte[] buffer = "first".getBytes(StandardCharsets.UTF_8);

        output.accept(StreamKind.STDOUT, buffer, 0, buffer.length);
        buffer[0] = 'F';

        assertThat(new String(output.bytes(StreamKind.STDOUT), StandardCharsets.UTF_8)).isEqualTo("first");
        assertThat(listener.stdout.toString(StandardCharsets.UTF_8)).isEqualTo("first");
    }

    @Test
    void aResultRefusesWritableChunksNamingTheField() {
        List<ByteBuffer> writable = List.of(ByteBuffer.wrap(new byte[] {1}));
        assertThatThrownBy(() -> RunResult.builder(Status.OK).stderr(writable, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stderr").hasMessageContaining("read-only");
    }
}
