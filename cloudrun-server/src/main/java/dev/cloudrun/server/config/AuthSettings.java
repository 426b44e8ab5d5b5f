package dev.cloudrun.server.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Accounts, guests and tokens.
 *
 * @param production whether the production safety checks are on ({@code CLOUDRUN_PRODUCTION})
 * @param jwtSecret the configured token key ({@code CLOUDRUN_JWT_SECRET}); empty: one is generated in the data directory
 * @param tokenTtl how long an issued token is valid ({@code CLOUDRUN_TOKEN_TTL_HOURS})
 * @param sessionMaxLifetime how long after a sign-in refreshes may go on ({@code CLOUDRUN_SESSION_MAX_DAYS})
 * @param guestRetention how long an idle guest is kept ({@code CLOUDRUN_GUEST_RETENTION_DAYS})
 */
public record AuthSettings(boolean production, Optional<String> jwtSecret, Duration tokenTtl, Duration sessionMaxLifetime,
        Duration guestRetention) {

    /** Secrets everybody knows; refused in production. */
    private static final List<String> WELL_KNOWN_SECRETS = List.of("secret", "changeme", "change-me", "password",
            "cloudrun", "jwt-secret", "default", "development", "test");

    /**
     * Checks the secret when production is on.
     *
     * @throws ServerConfigException in production, without a strong secret
     */
    public AuthSettings {
        if (production) {
            String secret = jwtSecret.orElseThrow(() -> new ServerConfigException(
                    "CLOUDRUN_PRODUCTION is set but CLOUDRUN_JWT_SECRET is not: set a random secret of at least 32 bytes"
                            + " (for example: openssl rand -base64 48)"));
            if (secret.getBytes(StandardCharsets.UTF_8).length < 32) {
                throw new ServerConfigException("CLOUDRUN_JWT_SECRET is shorter than 32 bytes; production needs a strong random secret");
            }
            String lower = secret.toLowerCase(Locale.ROOT);
            if (WELL_KNOWN_SECRETS.stream().anyMatch(lower::contains) || secret.chars().distinct().count() < 8) {
                throw new ServerConfigException("CLOUDRUN_JWT_SECRET looks like a default or guessable value; use a random one");
            }
        }
    }

    static AuthSettings from(SettingValues values) {
        return new AuthSettings(values.get(Settings.PRODUCTION), values.get(Settings.JWT_SECRET),
                Duration.ofHours(values.get(Settings.TOKEN_TTL_HOURS)),
                Duration.ofDays(values.get(Settings.SESSION_MAX_DAYS)), Duration.ofDays(values.get(Settings.GUEST_RETENTION_DAYS)));
    }

    @Override
    public String toString() {
        return "AuthSettings[production=" + production + ", jwtSecret=" + jwtSecret.map(secret -> "***").orElse("(generated)")
                + ", tokenTtl=" + tokenTtl + ", sessionMaxLifetime=" + sessionMaxLifetime + ", guestRetention=" + guestRetention + "]";
    }
}
