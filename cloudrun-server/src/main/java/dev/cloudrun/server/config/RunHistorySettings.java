package dev.cloudrun.server.config;

/**
 * What the run history keeps of each run's output, for the IDE's History panel.
 *
 * @param outputKeepBytes the most output kept per run, in UTF-8 bytes; 0 keeps none
 *     ({@code CLOUDRUN_RUN_OUTPUT_KEEP_BYTES})
 * @param outputKeepRuns how many runs' output one project keeps (or one user's runs without a
 *     project), the newest ({@code CLOUDRUN_RUN_OUTPUT_KEEP_RUNS})
 * @param outputKeepRunsPerUser how many runs' output one user keeps in all, the newest
 *     ({@code CLOUDRUN_RUN_OUTPUT_KEEP_RUNS_PER_USER})
 */
public record RunHistorySettings(int outputKeepBytes, int outputKeepRuns, int outputKeepRunsPerUser) {

    static RunHistorySettings from(SettingValues values) {
        return new RunHistorySettings(values.get(Settings.RUN_OUTPUT_KEEP_BYTES), values.get(Settings.RUN_OUTPUT_KEEP_RUNS),
                values.get(Settings.RUN_OUTPUT_KEEP_RUNS_PER_USER));
    }
}
