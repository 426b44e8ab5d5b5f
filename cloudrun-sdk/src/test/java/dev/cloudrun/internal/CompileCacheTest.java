package dev.cloudrun.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CompileCacheTest {
    private static CollectedFiles artifact(int bytes) {
        return new CollectedFiles(Map.of("main", new byte[bytes]), Set.of("main"), Map.of(), null);
    }

    private static String key(String file) {
        return CompileCache.key("docker|img|sha", "c", List.of("gcc", "main.c"), Map.of(),
                Map.of("main.c", file.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyPartOfTheInputChangesTheKey() {
        Map<String, byte[]> files = Map.of("main.c", new byte[] {1}, "a.h", new byte[] {2});
        Set<String> keys = new HashSet<>(List.of(
                CompileCache.key("t", "c", List.of("gcc"), Map.of(), files),
                CompileCache.key("t2", "c", List.of("gcc"), Map.of(), files),
                CompileCache.key("t", "cpp", List.of("gcc"), Map.of(), files),
                CompileCache.key("t", "c", List.of("gcc", "-O2"), Map.of(), files),
                CompileCache.key("t", "c", List.of("gcc"), Map.of("CPATH", "/x"), files),
                CompileCache.key("t", "c", List.of("gcc"), Map.of(), Map.of("main.c", new byte[] {1}, "a.h", new byte[] {3})),
                CompileCache.key("t", "c", List.of("gcc"), Map.of(), Map.of("main.c", new byte[] {1}, "b.h", new byte[] {2}))));
        assertThat(keys).hasSize(7);
        // Parts are length-prefixed: moving a byte from a name to its content is another key.
        assertThat(CompileCache.key("t", "c", List.of("gcc"), Map.of(), Map.of("ab", new byte[] {'c'})))
                .isNotEqualTo(CompileCache.key("t", "c", List.of("gcc"), Map.of(), Map.of("a", new byte[] {'b', 'c'})));
        assertThat(CompileCache.key("t", "c", List.of("gc", "c"), Map.of(), files))
                .isNotEqualTo(CompileCache.key("t", "c", List.of("g", "cc"), Map.of(), files));
        // The order files were given in does not matter.
        assertThat(CompileCache.key("t", "c", List.of("gcc"), Map.of(), files))
                .isEqualTo(CompileCache.key("t", "c", List.of("gcc"), Map.of(),
                        new java.util.TreeMap<>(files).descendingMap()));
    }

    @Test
    void aKeyIsAdmittedOnItsSecondSighting() {
        CompileCache cache = new CompileCache(1 << 20);
        assertThat(cache.admit(key("a"))).isFalse();
        assertThat(cache.admit(key("b"))).isFalse();
        assertThat(cache.admit(key("a"))).isTrue();
    }

    @Test
    void leastRecentlyUsedEntriesLeaveFirstAndTheSizeStaysBounded() {
        CompileCache cache = new CompileCache(40_000);
        cache.put(key("a"), artifact(9_000), "");
        cache.put(key("b"), artifact(9_000), "");
        cache.put(key("c"), artifact(9_000), "");
        assertThat(cache.get(key("a"))).isNotNull();
        cache.put(key("d"), artifact(9_000), "");
        cache.put(key("e"), artifact(9_000), "");

        assertThat(cache.stats().bytes()).isLessThanOrEqualTo(40_000);
        assertThat(cache.get(key("a"))).as("used recently").isNotNull();
        assertThat(cache.get(key("e"))).isNotNull();
        assertThat(cache.get(key("b"))).as("least recently used").isNull();
        assertThat(cache.stats().entries()).isEqualTo(4);
    }

    @Test
    void anEntryOverAQuarterOfTheCacheAFailedCollectionOrNothingIsNotKept() {
        CompileCache cache = new CompileCache(40_000);
        cache.put(key("big"), artifact(11_000), "");
        cache.put(key("failed"), CollectedFiles.failed("too large"), "");
        cache.put(key("none"), new CollectedFiles(Map.of(), Set.of(), Map.of(), null), "");
        assertThat(cache.stats().entries()).isZero();
        assertThat(new CompileCache(0).enabled()).isFalse();
    }
}
