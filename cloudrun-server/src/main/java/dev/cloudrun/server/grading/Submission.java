package dev.cloudrun.server.grading;

/**
 * A submission's row, without its large columns (source, files, suite, report).
 *
 * @param id the id
 * @param userId the owner
 * @param keyId the API key that made it: its fairness group, and the key its callback is signed for
 * @param problemId the problem it is graded against, null for an inline suite
 * @param language the language id
 * @param status {@code QUEUED}, {@code COMPILING}, {@code RUNNING}, {@code DONE} or {@code FAILED}
 * @param ticket its place in the fair queue
 * @param attempts how many times a node has claimed it
 * @param leaseOwner the node grading it now, or that graded it last
 * @param verdict the overall verdict once done
 * @param score the score once done
 * @param maxScore the maximum score once done
 * @param message why it failed, or null
 * @param callbackUrl where the result goes, or null
 * @param callbackState {@code PENDING}, {@code DELIVERED}, {@code FAILED}, or null without a callback
 * @param createdAtMillis when it was stored
 * @param startedAtMillis when its last attempt was claimed
 * @param finishedAtMillis when it ended
 */
record Submission(String id, String userId, String keyId, String problemId, String language, String status, long ticket,
        int attempts, String leaseOwner, String verdict, Double score, Double maxScore, String message, String callbackUrl,
        String callbackState, long createdAtMillis, Long startedAtMillis, Long finishedAtMillis) {

    static final String QUEUED = "QUEUED";
    static final String COMPILING = "COMPILING";
    static final String RUNNING = "RUNNING";
    static final String DONE = "DONE";
    static final String FAILED = "FAILED";

    boolean finished() {
        return DONE.equals(status) || FAILED.equals(status);
    }
}
