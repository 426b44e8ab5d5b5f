package dev.cloudrun.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The captured bytes of one stream, kept for the run's result: blocks that grow from 64 KiB to
 * 8 MiB, so that capturing neither copies what it holds again as it grows (as a doubling array
 * does) nor costs a small output much memory. A reader may also {@linkplain #reserve reserve} room
 * after the committed end, read into it directly and then {@linkplain #commit commit} what it
 * keeps, which saves copying each chunk in. Not thread-safe: its owner serialises the calls.
 */
final class OutputCapture {
    private static final int FIRST_BLOCK = 64 * 1024;
    private static final int LARGEST_BLOCK = 8 * 1024 * 1024;
    /** A block with less room than this is closed rather than read into: the read would be a short one. */
    private static final int SMALLEST_READ = 8 * 1024;

    private record Block(byte[] bytes, int length) { }

    private final List<Block> full = new ArrayList<>();
    private long fullBytes;
    private byte[] block = new byte[0];
    private int used;

    /** @return how many bytes are committed */
    long size() {
        return fullBytes + used;
    }

    /**
     * Copies bytes in and commits them.
     *
     * @param buffer the bytes
     * @param offset where they start
     * @param length how many
     */
    void append(byte[] buffer, int offset, int length) {
        int done = 0;
        while (done < length) {
            int now = Math.min(reserve(length - done), length - done);
            System.arraycopy(buffer, offset + done, block, used, now);
            used += now;
            done += now;
        }
    }

    /**
     * Makes room after the committed end, starting a new block if this one is nearly full. The room
     * is {@link #block()} from {@link #end()}; it stays valid until the next call that changes this
     * capture, and bytes written there count only once {@linkplain #commit committed}.
     *
     * @param wanted how many bytes the caller would like room for
     * @return how many bytes of room there are (at least one)
     */
    int reserve(int wanted) {
        int room = block.length - used;
        if (room > 0 && room >= Math.min(wanted, SMALLEST_READ)) {
            return room;
        }
        if (used > 0) {
            full.add(new Block(block, used));
            fullBytes += used;
        }
        long grown = Math.max(FIRST_BLOCK, Math.min(LARGEST_BLOCK, fullBytes));
        block = new byte[(int) Math.max(grown, Math.min(wanted, LARGEST_BLOCK))];
        used = 0;
        return block.length;
    }

    /** @return the block that {@link #reserve} made room in */
    byte[] block() {
        return block;
    }

    /** @return where the room starts in {@link #block()} */
    int end() {
        return used;
    }

    /**
     * Commits bytes written into the reserved room.
     *
     * @param length how many, from {@link #end()}
     */
    void commit(int length) {
        if (length < 0 || length > block.length - used) {
            throw new IllegalArgumentException("cannot commit " + length + " bytes into " + (block.length - used)
                    + " of room");
        }
        used += length;
    }

    /**
     * The committed bytes without copying them, for the run's result: the blocks as read-only views
     * (a last block less than half full is copied to its size, so a small output does not keep a
     * 64 KiB block alive). Nothing writes to committed bytes again.
     *
     * @return views of the committed bytes, in order
     */
    List<java.nio.ByteBuffer> chunks() {
        List<java.nio.ByteBuffer> views = new ArrayList<>(full.size() + 1);
        for (Block each : full) {
            views.add(java.nio.ByteBuffer.wrap(each.bytes(), 0, each.length()).asReadOnlyBuffer());
        }
        if (used > 0) {
            byte[] last = used < block.length / 2 ? java.util.Arrays.copyOf(block, used) : block;
            views.add(java.nio.ByteBuffer.wrap(last, 0, used).asReadOnlyBuffer());
        }
        return views;
    }

    /** @return a copy of the committed bytes */
    byte[] toByteArray() {
        long size = size();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("captured output too large for one array: " + size + " bytes");
        }
        byte[] all = new byte[(int) size];
        int position = 0;
        for (Block each : full) {
            System.arraycopy(each.bytes(), 0, all, position, each.length());
            position += each.length();
        }
        System.arraycopy(block, 0, all, position, used);
        return all;
    }
}
