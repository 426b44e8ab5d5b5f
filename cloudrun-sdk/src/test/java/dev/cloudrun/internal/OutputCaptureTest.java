package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A stream's capture: appended and directly read bytes end up in order, whatever the block boundaries. */
class OutputCaptureTest {
    @Test
    void appendsAndReservedReadsKeepTheirOrderAcrossBlocks() {
        Random random = new Random(7);
        OutputCapture capture = new OutputCapture();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int round = 0; round < 400; round++) {
            byte[] bytes = new byte[random.nextInt(70_000)];
            random.nextBytes(bytes);
            if (random.nextBoolean()) {
                capture.append(bytes, 0, bytes.length);
                expected.writeBytes(bytes);
            } else {
                int room = capture.reserve(bytes.length);
                int kept = Math.min(room, bytes.length);
                System.arraycopy(bytes, 0, capture.block(), capture.end(), kept);
                // What is written past what is committed never shows.
                if (kept < room) {
                    capture.block()[capture.end() + kept] = 42;
                }
                capture.commit(kept);
                expected.write(bytes, 0, kept);
            }
        }
        assertThat(capture.size()).isEqualTo(expected.size());
        assertThat(capture.toByteArray()).isEqualTo(expected.toByteArray());
        ByteArrayOutputStream viewed = new ByteArrayOutputStream();
        for (ByteBuffer chunk : capture.chunks()) {
            assertThat(chunk.isReadOnly()).isTrue();
            byte[] bytes = new byte[chunk.remaining()];
            chunk.get(bytes);
            viewed.writeBytes(bytes);
        }
        assertThat(viewed.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void aSmallOutputKeepsNoLargeBlockAlive() {
        OutputCapture capture = new OutputCapture();
        capture.append(new byte[] {'h', 'i'}, 0, 2);
        assertThat(capture.chunks()).singleElement().satisfies(chunk -> assertThat(chunk.capacity()).isEqualTo(2));
    }

    @Test
    void anEmptyCaptureHasNoChunks() {
        assertThat(new OutputCapture().chunks()).isEmpty();
        assertThat(new OutputCapture().toByteArray()).isEmpty();
    }
}
