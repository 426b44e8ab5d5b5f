package dev.cloudrun.server.db;

import java.util.List;
import java.util.Objects;

/**
 * The output kept of one run, for the IDE's history: its chunks in the order the program wrote them.
 *
 * @param runId the run
 * @param userId who started it
 * @param projectId the project it ran from, or null for inline files
 * @param chunks the output, in order
 * @param keptBytes the UTF-8 size of the chunks' text
 * @param truncated whether output was left out because it went past the cap
 * @param createdAtMillis when the run ended
 */
public record RunOutput(String runId, String userId, String projectId, List<Chunk> chunks, long keptBytes,
                        boolean truncated, long createdAtMillis) {
    /** Copies the chunks. */
    public RunOutput {
        chunks = List.copyOf(chunks);
    }

    /**
     * A piece of output from one stream.
     *
     * @param stream {@code stdout}, {@code stderr}, {@code compiler} or {@code install}
     * @param data the text
     */
    public record Chunk(String stream, String data) {
        /** Checks that both are given. */
        public Chunk {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(data, "data");
        }
    }
}
