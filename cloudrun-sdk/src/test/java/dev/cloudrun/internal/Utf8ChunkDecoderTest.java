package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
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

    @Test
    void randomBytesInRandomChunksDecodeAsTheWholeStreamDoes() throws Exception {
        Random random = new Random(13);
        byte[][] pieces = {"a".getBytes(StandardCharsets.UTF_8), "é".getBytes(StandardCharsets.UTF_8),
            "€".getBytes(StandardCharsets.UTF_8), "😀".getBytes(StandardCharsets.UTF_8),
            {(byte) 0x80}, {(byte) 0xc0}, {(byte) 0xe0, (byte) 0x80}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            {(byte) 0xf4, (byte) 0x90}, {(byte) 0xf8}, {(byte) 0xff}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf0}};
        for (int round = 0; round < 2000; round++) {
            java.io.ByteArrayOutputStream stream = new java.io.ByteArrayOutputStream();
            for (int piece = random.nextInt(12); piece >= 0; piece--) {
                stream.writeBytes(pieces[random.nextInt(pieces.length)]);
            }
            byte[] bytes = stream.toByteArray();
            String whole = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes)).toString();
            Utf8ChunkDecoder decoder = new Utf8ChunkDecoder();
            StringBuilder text = new StringBuilder();
            for (int at = 0; at < bytes.length; ) {
                int length = Math.min(bytes.length - at, 1 + random.nextInt(4));
                text.append(decoder.decode(bytes, at, length));
                at += length;
            }
            text.append(decoder.finish());
            assertThat(text.toString()).as("bytes %s", java.util.HexFormat.of().formatHex(bytes)).isEqualTo(whole);
            assertThat(whole).isEqualTo(new String(bytes, StandardCharsets.UTF_8));
        }
    }
}
