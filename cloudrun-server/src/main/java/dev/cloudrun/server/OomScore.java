package dev.cloudrun.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the kernel's OOM killer off the server: sandboxes score 1000 (the highest), and a server
 * running as root lowers its own score, so a host out of memory loses a run, not the server.
 */
final class OomScore {
    private static final Logger LOG = LoggerFactory.getLogger(OomScore.class);
    /** Low enough to be picked after every sandbox and most other processes; not -1000 (never killable). */
    static final int SERVER_OOM_SCORE_ADJ = -500;
    private static final Path OWN = Path.of("/proc/self/oom_score_adj");
    private static final int CAP_SYS_RESOURCE = 24;

    private OomScore() { }

    /**
     * Lowers this process's OOM score when it may (Linux, {@code CAP_SYS_RESOURCE}, which root has
     * unless a container or sandbox took it away); best effort, logged either way.
     */
    static void protectServer() {
        if (!Files.isWritable(OWN)) {
            return; // Not Linux, or no /proc.
        }
        if (!hasSysResource()) {
            LOG.info("the server's OOM score stays as it is: lowering it needs CAP_SYS_RESOURCE (sandboxes still score 1000)");
            return;
        }
        try {
            Files.writeString(OWN, Integer.toString(SERVER_OOM_SCORE_ADJ));
            LOG.info("OOM score lowered to {}: under memory pressure the kernel kills sandboxes, not the server",
                    SERVER_OOM_SCORE_ADJ);
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not lower the server's OOM score: {}", e.toString());
        }
    }

    /** @return whether this process has CAP_SYS_RESOURCE, the capability that lowering an OOM score needs */
    static boolean hasSysResource() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long effective = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                    return (effective & (1L << CAP_SYS_RESOURCE)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // No /proc: no capability to speak of.
        }
        return false;
    }
}
