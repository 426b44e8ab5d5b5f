package dev.cloudrun.server.config;

/**
 * Per-user run quotas, lower for guests.
 *
 * @param userConcurrentRuns runs one account may have going ({@code CLOUDRUN_USER_CONCURRENT_RUNS})
 * @param guestConcurrentRuns runs one guest may have going ({@code CLOUDRUN_GUEST_CONCURRENT_RUNS})
 * @param userRunsPerMinute runs one account may start per minute ({@code CLOUDRUN_USER_RUNS_PER_MINUTE})
 * @param guestRunsPerMinute runs one guest may start per minute ({@code CLOUDRUN_GUEST_RUNS_PER_MINUTE})
 * @param addressConcurrentRuns runs one client address may have going ({@code CLOUDRUN_IP_CONCURRENT_RUNS})
 * @param addressRunsPerMinute runs one client address may start per minute ({@code CLOUDRUN_IP_RUNS_PER_MINUTE})
 */
public record RunQuotaSettings(int userConcurrentRuns, int guestConcurrentRuns, int userRunsPerMinute,
        int guestRunsPerMinute, int addressConcurrentRuns, int addressRunsPerMinute) {

    static RunQuotaSettings from(SettingValues values) {
        return new RunQuotaSettings(values.get(Settings.USER_CONCURRENT_RUNS), values.get(Settings.GUEST_CONCURRENT_RUNS),
                values.get(Settings.USER_RUNS_PER_MINUTE), values.get(Settings.GUEST_RUNS_PER_MINUTE),
                values.get(Settings.IP_CONCURRENT_RUNS), values.get(Settings.IP_RUNS_PER_MINUTE));
    }

    /**
     * @param guest whether the user is a guest
     * @return how many runs one user may have going at once
     */
    public int concurrentRuns(boolean guest) {
        return guest ? guestConcurrentRuns : userConcurrentRuns;
    }

    /**
     * @param guest whether the user is a guest
     * @return how many runs one user may start per minute
     */
    public int runsPerMinute(boolean guest) {
        return guest ? guestRunsPerMinute : userRunsPerMinute;
    }
}
