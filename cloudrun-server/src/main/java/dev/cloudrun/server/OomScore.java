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

    private OomScore() { }

    /** Lowers this process's OOM score when it may (root, Linux); best effort, logged either way. */
    static void protectServer() {
        if (!Files.isWritable(OWN) || !"root".equals(System.getProperty("user.name"))) {
            LOG.debug("not root: the server's OOM score stays as it is (sandboxes still score 1000)");
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
}
