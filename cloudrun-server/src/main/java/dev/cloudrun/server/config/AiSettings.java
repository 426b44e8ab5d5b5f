package dev.cloudrun.server.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The AI assistant ({@code docs/ai.md}).
 *
 * @param enabled the operator's off switch ({@code CLOUDRUN_AI_ENABLED})
 * @param providerOrder the providers to try, in order: {@code groq}, {@code gemini}, {@code generic}
 *     ({@code CLOUDRUN_AI_PROVIDER_ORDER})
 * @param userRequestsPerHour AI requests one account may make per hour ({@code CLOUDRUN_AI_REQUESTS_PER_HOUR})
 * @param guestRequestsPerHour AI requests one guest may make per hour ({@code CLOUDRUN_AI_GUEST_REQUESTS_PER_HOUR})
 * @param maxConcurrentRequests AI requests the whole server serves at once, since each holds a connection while it
 *     streams ({@code CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS})
 * @param timeout the longest one provider call may take, answer included ({@code CLOUDRUN_AI_TIMEOUT_SECONDS})
 * @param firstByteTimeout how long a provider may stay silent, at most {@code timeout}
 *     ({@code CLOUDRUN_AI_FIRST_BYTE_SECONDS})
 * @param cooldown how long a provider that failed several times in a row is skipped ({@code CLOUDRUN_AI_COOLDOWN_SECONDS})
 * @param groq Groq ({@code GROQ_*})
 * @param gemini Google Gemini ({@code GEMINI_*})
 * @param generic any OpenAI-compatible endpoint ({@code CLOUDRUN_AI_BASE_URL}, {@code CLOUDRUN_AI_API_KEY},
 *     {@code CLOUDRUN_AI_MODEL})
 */
public record AiSettings(boolean enabled, List<String> providerOrder, int userRequestsPerHour, int guestRequestsPerHour,
        int maxConcurrentRequests, Duration timeout, Duration firstByteTimeout, Duration cooldown, Provider groq,
        Provider gemini, Provider generic) {

    /** Copies the list. */
    public AiSettings {
        providerOrder = List.copyOf(providerOrder);
    }

    /**
     * One provider's settings; each is empty when unset.
     *
     * @param baseUrl the endpoint (an http or https URL)
     * @param apiKey the key (never shown by {@link #toString()})
     * @param model the model
     */
    public record Provider(Optional<String> baseUrl, Optional<String> apiKey, Optional<String> model) {
        @Override
        public String toString() {
            return "Provider[baseUrl=" + baseUrl.orElse("") + ", apiKey=" + apiKey.map(key -> "***").orElse("")
                    + ", model=" + model.orElse("") + "]";
        }
    }

    static AiSettings from(SettingValues values) {
        int timeoutSeconds = values.get(Settings.AI_TIMEOUT_SECONDS);
        return new AiSettings(values.get(Settings.AI_ENABLED), values.get(Settings.AI_PROVIDER_ORDER),
                values.get(Settings.AI_REQUESTS_PER_HOUR), values.get(Settings.AI_GUEST_REQUESTS_PER_HOUR),
                values.get(Settings.AI_MAX_CONCURRENT_REQUESTS), Duration.ofSeconds(timeoutSeconds),
                Duration.ofSeconds(Math.min(timeoutSeconds, values.get(Settings.AI_FIRST_BYTE_SECONDS))),
                Duration.ofSeconds(values.get(Settings.AI_COOLDOWN_SECONDS)),
                new Provider(values.get(Settings.GROQ_BASE_URL), values.get(Settings.GROQ_API_KEY), values.get(Settings.GROQ_MODEL)),
                new Provider(values.get(Settings.GEMINI_BASE_URL), values.get(Settings.GEMINI_API_KEY),
                        values.get(Settings.GEMINI_MODEL)),
                new Provider(values.get(Settings.AI_BASE_URL), values.get(Settings.AI_API_KEY), values.get(Settings.AI_MODEL)));
    }

    /**
     * @param guest whether the user is a guest
     * @return how many AI requests one user may make per hour
     */
    public int requestsPerHour(boolean guest) {
        return guest ? guestRequestsPerHour : userRequestsPerHour;
    }
}
