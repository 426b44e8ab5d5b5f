package dev.cloudrun.server.compat.jobe;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The files clients PUT for later runs, in memory, bounded in count and in bytes: the least
 * recently used go first when a new one does not fit. Jobe's own cache also deletes files (when
 * its disk fills), and CodeRunner uploads again when a run answers 404, so evicting is safe.
 * Each owner (the API key's user; one shared owner without keys) has its own names, so that one
 * tenant can neither read nor replace another's files.
 */
final class JobeFileCache {
    private final int maxFiles;
    private final long maxBytes;
    private final LinkedHashMap<String, byte[]> files = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    JobeFileCache(int maxFiles, long maxBytes) {
        this.maxFiles = maxFiles;
        this.maxBytes = maxBytes;
    }

    /**
     * Stores a file, evicting the least recently used ones to make room.
     *
     * @return false when the file alone is larger than the whole cache
     */
    synchronized boolean put(String owner, String id, byte[] content) {
        if (content.length > maxBytes) {
            return false;
        }
        byte[] previous = files.remove(key(owner, id));
        if (previous != null) {
            bytes -= previous.length;
        }
        Iterator<Map.Entry<String, byte[]>> oldest = files.entrySet().iterator();
        while (oldest.hasNext() && (files.size() >= maxFiles || bytes + content.length > maxBytes)) {
            bytes -= oldest.next().getValue().length;
            oldest.remove();
        }
        files.put(key(owner, id), content);
        bytes += content.length;
        return true;
    }

    synchronized Optional<byte[]> get(String owner, String id) {
        return Optional.ofNullable(files.get(key(owner, id)));
    }

    synchronized boolean contains(String owner, String id) {
        return files.containsKey(key(owner, id));
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized int size() {
        return files.size();
    }

    private static String key(String owner, String id) {
        return owner + "/" + id;
    }
}
