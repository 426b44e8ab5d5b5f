package dev.cloudrun.server.config;

/**
 * Per-address and per-account limits of the HTTP API (a refused request gets 429 with {@code Retry-After}).
 *
 * @param requestsPerMinutePerIp API requests per client address ({@code CLOUDRUN_IP_REQUESTS_PER_MINUTE})
 * @param loginAttemptsPerAccountPerMinute login attempts one account may receive
 *     ({@code CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE})
 * @param loginAttemptsPerAccountAllAddressesPerMinute login attempts one account may receive from all addresses
 *     ({@code CLOUDRUN_LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES_PER_MINUTE})
 * @param loginAttemptsPerIpPerMinute login attempts one address may make ({@code CLOUDRUN_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE})
 * @param guestsPerIpPerHour guest sessions one address may open ({@code CLOUDRUN_GUESTS_PER_IP_PER_HOUR})
 * @param registrationsPerIpPerHour accounts one address may create ({@code CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR})
 */
public record RateLimitSettings(int requestsPerMinutePerIp, int loginAttemptsPerAccountPerMinute,
        int loginAttemptsPerAccountAllAddressesPerMinute, int loginAttemptsPerIpPerMinute, int guestsPerIpPerHour,
        int registrationsPerIpPerHour) {

    static RateLimitSettings from(SettingValues values) {
        return new RateLimitSettings(values.get(Settings.IP_REQUESTS_PER_MINUTE),
                values.get(Settings.LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE),
                values.get(Settings.LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES_PER_MINUTE),
                values.get(Settings.LOGIN_ATTEMPTS_PER_IP_PER_MINUTE), values.get(Settings.GUESTS_PER_IP_PER_HOUR),
                values.get(Settings.REGISTRATIONS_PER_IP_PER_HOUR));
    }
}
