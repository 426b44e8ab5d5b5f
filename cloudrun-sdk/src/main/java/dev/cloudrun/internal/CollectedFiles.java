package dev.cloudrun.internal;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Files carried out of a sandbox: the compiled artefacts of a compile step, or the output files a
 * program wrote. Only regular files ever get here (see {@link StrictTar}).
 *
 * @param files content by relative path
 * @param executables which of them had an execute bit
 * @param rejected names that were asked for but refused, with why ("is a symbolic link")
 * @param problem why the whole collection failed (too large, not a valid archive), or null
 */
public record CollectedFiles(Map<String, byte[]> files, Set<String> executables, Map<String, String> rejected,
                             String problem) {
    /** Copies the components. */
    public CollectedFiles {
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        executables = Set.copyOf(executables);
        rejected = Map.copyOf(rejected);
    }

    /**
     * @param problem why nothing could be collected
     * @return an empty collection carrying the problem
     */
    public static CollectedFiles failed(String problem) {
        return new CollectedFiles(Map.of(), Set.of(), Map.of(), problem);
    }
}
