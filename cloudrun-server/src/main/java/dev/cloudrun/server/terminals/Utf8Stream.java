package dev.cloudrun.server.terminals;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns a terminal's bytes into text chunk by chunk without splitting a character: the bytes of a
 * character cut at the end of a chunk wait for the next one. Bytes that are not UTF-8 become U+FFFD.
 * Not thread-safe.
 */
final class Utf8Stream {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] carry = new byte[0];

    /**
     * @param data the next bytes
     * @return the complete characters so far
     */
    String decode(byte[] data) {
        ByteBuffer in = ByteBuffer.allocate(carry.length + data.length);
        in.put(carry).put(data).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, false);
        carry = new byte[in.remaining()];
        in.get(carry);
        return out.flip().toString();
    }
}
