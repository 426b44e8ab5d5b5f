package dev.cloudrun.server.grading;

/**
 * A problem: a test suite that submissions name by id, owned by a user.
 *
 * @param id the id
 * @param ownerId the user whose keys reach it
 * @param name a label
 * @param version 1, then one more on each replacement (reports say which version graded them)
 * @param format {@code json} (a suite document) or {@code zip} (a folder layout)
 * @param caseCount how many cases it has
 * @param maxScore its maximum score
 * @param createdAtMillis when it was made
 * @param updatedAtMillis when it was last replaced
 */
record Problem(String id, String ownerId, String name, int version, String format, int caseCount, double maxScore,
        long createdAtMillis, long updatedAtMillis) {
}
