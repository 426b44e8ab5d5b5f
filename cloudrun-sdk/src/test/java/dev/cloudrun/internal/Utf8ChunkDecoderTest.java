package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Utf8ChunkDecoderTest {
    private static final String TEXT = "aé€😀z — ünïcödé ☃";

    @Test
    void everySplitPointDecodesToTheSameText() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        for (int first = 0; first <= bytes.length; first++) {
            for (int second = first; second <= bytes.length; second++) {
                Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();
                String text = decoder.decode(bytes, 0, first) + decoder.decode(bytes, first, second - first)
                        + decoder.decode(bytes, second, bytes.length - second) + decoder.finish();
                assertThat(text).as("split at %d and %d", first, second).isEqualTo(TEXT);
            }
        }
    }

    @Test
    void byteByByteDecodesToTheSameText() {
        byte[] bytes = TEXT.getBytes(StandardCharsets.UTF_8);
        Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(decoder.decode(new byte[] {b}, 0, 1));
        }
        assertThat(text.append(decoder.finish())).hasToString(TEXT);
    }

    @Test
    void malformedAndTruncatedBytesBecomeReplacementCharacters() {
        Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();
        String text = decoder.decode(new byte[] {'a', (byte) 0xff, 'b', (byte) 0xe2, (byte) 0x82}, 0, 5);
        assertThat(text).isEqualTo("a\uFFFDb");
        assertThat(decoder.finish()).isEqualTo("\uFFFD");
    }
}
