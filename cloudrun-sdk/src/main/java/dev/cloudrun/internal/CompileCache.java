package dev.cloudrun.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiled artefacts kept by the content hash of everything that went into the compiler: the
 * backend and its toolchain (image), the language, the expanded compile command, the environment
 * and every workspace file, by name and content. A repeat of the same compile (the IDE's Run after
 * no change, a re-grade) places the artefacts in the workspace and skips the compiler.
 *
 * <p>Because the key covers every input, two runs share an entry only when they would have handed
 * the compiler byte-identical input; nothing else of one run reaches another. Artefacts leave the
 * sandbox right after a successful compile, before the program ran, so a program cannot change
 * what is cached. A compile is admitted on its second sighting (a one-off submission does not pay for
 * carrying its artefacts out), except when they were carried out anyway (the grader's compile
 * step). Bounded in bytes, least recently used first out; thread-safe.
 */
public final class CompileCache {
    /** How many keys seen once are remembered for admission. */
    private static final int SEEN_KEYS = 4096;

    /** A cached compile: its artefacts and what the compiler printed. */
    record Entry(CollectedFiles artifacts, String compilerOutput, long bytes) {
        /** @return the artefacts' content, in bytes */
        long artifactBytes() {
            return artifacts.files().values().stream().mapToLong(content -> content.length).sum();
        }
    }

    private final long maxBytes;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, Boolean> seenOnce = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > SEEN_KEYS;
        }
    };
    private long bytes;
    private long hits;
    private long misses;

    /** @param maxBytes the most the artefacts may hold together; 0 turns the cache off */
    public CompileCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative");
        }
        this.maxBytes = maxBytes;
    }

    /** @return whether the cache keeps anything */
    boolean enabled() {
        return maxBytes > 0;
    }

    /** @return the largest entry admitted (a quarter of the cache) */
    long maxEntryBytes() {
        return maxBytes / 4;
    }

    /**
     * The key of one compile.
     *
     * @param toolchain the backend and its compiler's identity (see {@link dev.cloudrun.spi.SandboxBackend#toolchain})
     * @param language the language's id
     * @param command the compile command, expanded
     * @param env the compile step's environment
     * @param files every workspace file by relative path
     * @return the hex SHA-256 of all of it, each part length-prefixed so that no two inputs collide
     */
    static String key(String toolchain, String language, List<String> command, Map<String, String> env,
                      Map<String, byte[]> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        part(digest, "cloudrun-compile-1".getBytes(StandardCharsets.UTF_8));
        part(digest, toolchain.getBytes(StandardCharsets.UTF_8));
        part(digest, language.getBytes(StandardCharsets.UTF_8));
        count(digest, command.size());
        command.forEach(word -> part(digest, word.getBytes(StandardCharsets.UTF_8)));
        Map<String, String> sortedEnv = new TreeMap<>(env);
        count(digest, sortedEnv.size());
        sortedEnv.forEach((name, value) -> {
            part(digest, name.getBytes(StandardCharsets.UTF_8));
            part(digest, value.getBytes(StandardCharsets.UTF_8));
        });
        Map<String, byte[]> sortedFiles = new TreeMap<>(files);
        count(digest, sortedFiles.size());
        sortedFiles.forEach((path, content) -> {
            part(digest, path.getBytes(StandardCharsets.UTF_8));
            part(digest, content);
        });
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void part(MessageDigest digest, byte[] bytes) {
        count(digest, bytes.length);
        digest.update(bytes);
    }

    private static void count(MessageDigest digest, long value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            digest.update((byte) (value >>> shift));
        }
    }

    /**
     * @param key a compile's key
     * @return its cached artefacts, or null (and the key is remembered as seen)
     */
    synchronized Entry get(String key) {
        Entry entry = entries.get(key);
        if (entry != null) {
            hits++;
        } else {
            misses++;
        }
        return entry;
    }

    /**
     * Notes a compile that missed and tells whether to carry its artefacts out for the cache.
     *
     * @param key the compile's key
     * @return true on the key's second sighting (or later, after an eviction)
     */
    synchronized boolean admit(String key) {
        if (seenOnce.remove(key) != null) {
            return true;
        }
        seenOnce.put(key, Boolean.TRUE);
        return false;
    }

    /**
     * Keeps a successful compile's artefacts, evicting the least recently used entries to make room.
     *
     * @param key the compile's key
     * @param artifacts what the compiler produced, carried out of the sandbox
     * @param compilerOutput what it printed
     */
    synchronized void put(String key, CollectedFiles artifacts, String compilerOutput) {
        if (artifacts.problem() != null || artifacts.files().isEmpty()) {
            return;
        }
        long size = compilerOutput.length() * 2L + 256;
        for (Map.Entry<String, byte[]> file : artifacts.files().entrySet()) {
            size += file.getKey().length() * 2L + file.getValue().length + 64;
        }
        if (size > maxEntryBytes()) {
            return;
        }
        Entry previous = entries.put(key, new Entry(artifacts, compilerOutput, size));
        if (previous != null) {
            bytes -= previous.bytes();
        }
        bytes += size;
        seenOnce.remove(key);
        Iterator<Entry> eldest = entries.values().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            bytes -= eldest.next().bytes();
            eldest.remove();
        }
    }

    /** @return entries, bytes, hits and misses, for tests and metrics */
    public synchronized Stats stats() {
        return new Stats(entries.size(), bytes, hits, misses);
    }

    /**
     * What the cache holds and how it has done.
     *
     * @param entries cached compiles
     * @param bytes their size
     * @param hits lookups that found an entry
     * @param misses lookups that did not
     */
    public record Stats(int entries, long bytes, long hits, long misses) { }
}
