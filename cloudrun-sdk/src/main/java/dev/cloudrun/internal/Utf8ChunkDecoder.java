package dev.cloudrun.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a byte stream that arrives in arbitrary chunks as UTF-8, holding back the bytes of a
 * character split across chunks until the rest arrives. Not thread-safe.
 *
 * <p>Each chunk is cut after its last complete character and that part decoded by the JDK's
 * {@code String} constructor, which copies ASCII straight into a compact string; the at most three
 * bytes after the cut wait for the next chunk. Since a lead byte can never continue an earlier
 * character, cutting there gives the same text (malformed bytes included) as decoding the whole
 * stream at once.
 */
public final class Utf8ChunkDecoder {
    private static final byte[] NONE = new byte[0];

    private byte[] pending = NONE;

    /**
     * Decodes a chunk.
     *
     * @param chunk the bytes
     * @param offset where they start
     * @param length how many
     * @return the complete characters so far (possibly empty)
     */
    public String decode(byte[] chunk, int offset, int length) {
        byte[] input = chunk;
        int start = offset;
        int size = length;
        if (pending.length > 0) {
            input = new byte[pending.length + length];
            System.arraycopy(pending, 0, input, 0, pending.length);
            System.arraycopy(chunk, offset, input, pending.length, length);
            start = 0;
            size = input.length;
        }
        int complete = completePrefix(input, start, size);
        pending = complete == size ? NONE : java.util.Arrays.copyOfRange(input, start + complete, start + size);
        return complete == 0 ? "" : new String(input, start, complete, StandardCharsets.UTF_8);
    }

    /**
     * Ends the stream: bytes still held back (an incomplete character) become U+FFFD.
     *
     * @return the remaining text (possibly empty)
     */
    public String finish() {
        if (pending.length == 0) {
            return "";
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        CharBuffer output = CharBuffer.allocate(pending.length + 2);
        decoder.decode(ByteBuffer.wrap(pending), output, true);
        decoder.flush(output);
        pending = NONE;
        return output.flip().toString();
    }

    /**
     * @return how many bytes from {@code offset} end with a complete character: all of them,
     *     unless the last lead byte (among the last four bytes) starts a sequence longer than what follows it
     */
    private static int completePrefix(byte[] bytes, int offset, int length) {
        int end = offset + length;
        for (int index = end - 1; index >= Math.max(offset, end - 4); index--) {
            int value = bytes[index] & 0xff;
            if ((value & 0xc0) != 0x80) {
                int needed = value >= 0xf0 ? 4 : value >= 0xe0 ? 3 : value >= 0xc0 ? 2 : 1;
                return end - index < needed ? index - offset : length;
            }
        }
        return length;
    }
}
