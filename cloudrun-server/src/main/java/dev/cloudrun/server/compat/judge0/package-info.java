/**
 * A Judge0 CE 1.13 compatible API under {@code /judge0} ({@code /submissions}, {@code /submissions/batch},
 * {@code /languages}, {@code /statuses}, {@code /about}, ...), switched on with {@code CLOUDRUN_COMPAT=judge0}.
 * A thin translator: Judge0's names (language ids, status ids, limits in seconds and kilobytes) stay here;
 * submissions are stored in {@code judge0_submissions} and run through
 * {@link dev.cloudrun.server.runs.RunService} with CloudRun's quotas, queue and sandboxes.
 */
package dev.cloudrun.server.compat.judge0;
