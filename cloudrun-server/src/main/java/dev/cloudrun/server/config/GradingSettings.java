package dev.cloudrun.server.config;

import java.time.Duration;
import java.util.Optional;

/**
 * The grading API.
 *
 * @param maxApiKeysPerUser live API keys per user ({@code CLOUDRUN_MAX_API_KEYS_PER_USER})
 * @param maxProblemsPerUser problems per user ({@code CLOUDRUN_MAX_PROBLEMS_PER_USER})
 * @param maxProblemBytes the largest problem upload ({@code CLOUDRUN_MAX_PROBLEM_BYTES})
 * @param workers submissions this node grades at once ({@code CLOUDRUN_GRADING_WORKERS})
 * @param lease how long a claim on a submission lasts unless renewed ({@code CLOUDRUN_GRADING_LEASE_SECONDS})
 * @param nodeId this node's name, when configured ({@code CLOUDRUN_NODE_ID})
 * @param keySubmissionsPerMinute submissions per key per minute ({@code CLOUDRUN_KEY_SUBMISSIONS_PER_MINUTE})
 * @param keyMaxQueued waiting submissions per key ({@code CLOUDRUN_KEY_MAX_QUEUED})
 * @param maxWait how long {@code wait=true} waits ({@code CLOUDRUN_GRADING_WAIT_SECONDS})
 * @param callbackAllowPrivate whether callbacks may go to private addresses ({@code CLOUDRUN_CALLBACK_ALLOW_PRIVATE})
 */
public record GradingSettings(int maxApiKeysPerUser, int maxProblemsPerUser, long maxProblemBytes, int workers, Duration lease,
        Optional<String> nodeId, int keySubmissionsPerMinute, int keyMaxQueued, Duration maxWait, boolean callbackAllowPrivate) {

    static GradingSettings from(SettingValues values) {
        return new GradingSettings(values.get(Settings.MAX_API_KEYS_PER_USER), values.get(Settings.MAX_PROBLEMS_PER_USER),
                values.get(Settings.MAX_PROBLEM_BYTES), values.get(Settings.GRADING_WORKERS),
                Duration.ofSeconds(values.get(Settings.GRADING_LEASE_SECONDS)), values.get(Settings.NODE_ID),
                values.get(Settings.KEY_SUBMISSIONS_PER_MINUTE), values.get(Settings.KEY_MAX_QUEUED),
                Duration.ofSeconds(values.get(Settings.GRADING_WAIT_SECONDS)), values.get(Settings.CALLBACK_ALLOW_PRIVATE));
    }
}
