package dev.cloudrun.server.ai;

import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.AiSettings;
import dev.cloudrun.server.config.ServerConfigException;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.KeyedRateLimiter;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** The assistant's state: the provider chain built from the configuration, the off switch and the per-user quota. */
final class AiService implements AutoCloseable {
    static final List<String> PROVIDER_NAMES = List.of("groq", "gemini", "generic");
    static final int FAILURES_BEFORE_COOLDOWN = 3;
    static final int CONCURRENT_REQUESTS_PER_USER = 2;

    private final boolean enabled;
    private final ProviderChain chain;
    private final List<String> order;
    private final KeyedRateLimiter userRequests;
    private final KeyedRateLimiter guestRequests;
    private final int userRequestsPerHour;
    private final int guestRequestsPerHour;
    private final ExecutorService httpExecutor;
    private final Semaphore serverSlots;
    private final Map<String, AtomicInteger> activePerUser = new ConcurrentHashMap<>();

    AiService(AiSettings config, Clock clock) {
        this.enabled = config.enabled();
        this.order = config.providerOrder();
        this.userRequestsPerHour = config.requestsPerHour(false);
        this.guestRequestsPerHour = config.requestsPerHour(true);
        this.userRequests = new KeyedRateLimiter(userRequestsPerHour, Duration.ofHours(1));
        this.guestRequests = new KeyedRateLimiter(guestRequestsPerHour, Duration.ofHours(1));
        this.serverSlots = new Semaphore(config.maxConcurrentRequests());
        AtomicInteger threads = new AtomicInteger();
        this.httpExecutor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "cloudrun-ai-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Duration silence = config.firstByteTimeout();
        Duration overall = config.timeout();
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(silence.compareTo(Duration.ofSeconds(10)) < 0 ? silence : Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(httpExecutor)
                .build();
        List<AiProvider> providers = new ArrayList<>();
        for (String name : order) {
            create(name, config, client, silence, overall).ifPresent(providers::add);
        }
        this.chain = new ProviderChain(providers, FAILURES_BEFORE_COOLDOWN, config.cooldown(), clock);
    }

    private static Optional<AiProvider> create(String name, AiSettings config, HttpClient client, Duration silence,
            Duration overall) {
        switch (name) {
            case "groq" -> {
                AiSettings.Provider groq = config.groq();
                return groq.apiKey().map(key -> new OpenAiCompatibleProvider("groq", required(groq.baseUrl(), "GROQ_BASE_URL"),
                        key, required(groq.model(), "GROQ_MODEL"), client, silence, overall));
            }
            case "gemini" -> {
                AiSettings.Provider gemini = config.gemini();
                return gemini.apiKey().map(key -> new GeminiProvider(required(gemini.baseUrl(), "GEMINI_BASE_URL"), key,
                        required(gemini.model(), "GEMINI_MODEL"), client, silence, overall));
            }
            default -> {
                AiSettings.Provider generic = config.generic();
                if (generic.baseUrl().isEmpty()) {
                    return Optional.empty();
                }
                String model = generic.model().orElseThrow(() -> new ServerConfigException(
                        "CLOUDRUN_AI_BASE_URL is set but CLOUDRUN_AI_MODEL is not: name the model to use (for example llama3.2)"));
                return Optional.of(new OpenAiCompatibleProvider("generic", generic.baseUrl().get(),
                        generic.apiKey().orElse(null), model, client, silence, overall));
            }
        }
    }

    private static String required(Optional<String> value, String setting) {
        return value.orElseThrow(() -> new ServerConfigException(setting + " must not be empty"));
    }

    ProviderChain chain() {
        return chain;
    }

    /**
     * @throws ApiError 503 {@code ai_disabled} or {@code ai_not_configured}
     */
    void checkAvailable() {
        if (!enabled) {
            throw ApiError.of(503, "ai_disabled", "the AI assistant is turned off on this server (CLOUDRUN_AI_ENABLED=false)");
        }
        if (chain.providers().isEmpty()) {
            throw ApiError.of(503, "ai_not_configured", "no AI provider is configured on this server; the operator must set"
                    + " GROQ_API_KEY, GEMINI_API_KEY or CLOUDRUN_AI_BASE_URL (with CLOUDRUN_AI_MODEL) and restart it");
        }
    }

    /**
     * Counts one request against the caller's hourly AI quota.
     *
     * @param caller the caller
     * @throws ApiError 429 {@code ai_quota_exceeded} with the time to wait
     */
    void takeQuota(Principal caller) {
        (caller.guest() ? guestRequests : userRequests).tryAcquire(caller.userId()).ifPresent(wait -> {
            int limit = caller.guest() ? guestRequestsPerHour : userRequestsPerHour;
            throw ApiError.tooManyRequests("ai_quota_exceeded", "you have used your " + limit + " AI requests for this hour"
                    + (caller.guest() ? " (accounts get more than guests)" : "") + "; try again later", wait);
        });
    }

    /** A slot for one AI request in progress; give it back exactly once with {@link #close()}. */
    interface Slot extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Takes a slot for one request: at most {@value #CONCURRENT_REQUESTS_PER_USER} per user and
     * {@code CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS} for the server, since each holds a connection while it streams.
     *
     * @param caller the caller
     * @return the slot
     * @throws ApiError 429 {@code ai_concurrent_limit} or {@code ai_busy}
     */
    Slot enter(Principal caller) {
        AtomicInteger mine = activePerUser.computeIfAbsent(caller.userId(), id -> new AtomicInteger());
        if (mine.incrementAndGet() > CONCURRENT_REQUESTS_PER_USER) {
            mine.decrementAndGet();
            throw ApiError.tooManyRequests("ai_concurrent_limit", "you already have " + CONCURRENT_REQUESTS_PER_USER
                    + " AI requests in progress; wait for one to finish", Duration.ofSeconds(2));
        }
        if (!serverSlots.tryAcquire()) {
            mine.decrementAndGet();
            throw ApiError.tooManyRequests("ai_busy", "the assistant is busy; try again in a few seconds", Duration.ofSeconds(5));
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                serverSlots.release();
                mine.decrementAndGet();
            }
        };
    }

    /** @return the status document: whether AI is on and each provider, without any key */
    Map<String, Object> status() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("enabled", enabled);
        body.put("configured", !chain.providers().isEmpty());
        List<Map<String, Object>> providers = new ArrayList<>(chain.describeProviders());
        for (String name : PROVIDER_NAMES) {
            if (providers.stream().noneMatch(view -> view.get("name").equals(name))) {
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("name", name);
                view.put("configured", false);
                view.put("state", order.contains(name) ? "not_configured" : "not_in_order");
                providers.add(view);
            }
        }
        body.put("providers", providers);
        if (!enabled) {
            body.put("message", "the AI assistant is turned off on this server");
        } else if (chain.providers().isEmpty()) {
            body.put("message", "no AI provider is configured: set GROQ_API_KEY, GEMINI_API_KEY or CLOUDRUN_AI_BASE_URL");
        }
        return body;
    }

    void evictIdle() {
        activePerUser.values().removeIf(count -> count.get() == 0);
        userRequests.evictIdle();
        guestRequests.evictIdle();
    }

    @Override
    public void close() {
        httpExecutor.shutdownNow();
    }
}
