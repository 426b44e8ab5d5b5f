package dev.cloudrun.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream that arrives in arbitrary chunks as UTF-8, holding back the bytes of a
 * character split across chunks until the rest arrives. Not thread-safe.
 */
public final class Utf8ChunkDecoder {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(0);

    /**
     * Decodes a chunk.
     *
     * @param chunk the bytes
     * @param offset where they start
     * @param length how many
     * @return the complete characters so far (possibly empty)
     */
    public String decode(byte[] chunk, int offset, int length) {
        ByteBuffer input;
        if (pending.hasRemaining()) {
            input = ByteBuffer.allocate(pending.remaining() + length);
            input.put(pending).put(chunk, offset, length).flip();
        } else {
            input = ByteBuffer.wrap(chunk, offset, length);
        }
        CharBuffer output = CharBuffer.allocate(input.remaining() + 1);
        decoder.decode(input, output, false);
        pending = copyRemaining(input);
        return output.flip().toString();
    }

    /**
     * Ends the stream: bytes still held back (an incomplete character) become U+FFFD.
     *
     * @return the remaining text (possibly empty)
     */
    public String finish() {
        CharBuffer output = CharBuffer.allocate(pending.remaining() + 2);
        decoder.decode(pending, output, true);
        decoder.flush(output);
        decoder.reset();
        pending = ByteBuffer.allocate(0);
        return output.flip().toString();
    }

    private static ByteBuffer copyRemaining(ByteBuffer input) {
        ByteBuffer copy = ByteBuffer.allocate(input.remaining());
        copy.put(input).flip();
        return copy;
    }
}
