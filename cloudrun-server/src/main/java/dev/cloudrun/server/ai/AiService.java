package dev.cloudrun.server.ai;

import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.config.ServerConfigException;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.KeyedRateLimiter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

    AiService(ServerConfig config, Clock clock) {
        this.enabled = config.aiEnabled();
        this.order = config.aiProviderOrder();
        for (String name : order) {
            if (!PROVIDER_NAMES.contains(name)) {
                throw new ServerConfigException("CLOUDRUN_AI_PROVIDER_ORDER names an unknown provider '" + name
                        + "' (known: " + String.join(", ", PROVIDER_NAMES) + ")");
            }
        }
        this.userRequestsPerHour = config.aiRequestsPerHour(false);
        this.guestRequestsPerHour = config.aiRequestsPerHour(true);
        this.userRequests = new KeyedRateLimiter(userRequestsPerHour, Duration.ofHours(1));
        this.guestRequests = new KeyedRateLimiter(guestRequestsPerHour, Duration.ofHours(1));
        this.serverSlots = new Semaphore(config.aiMaxConcurrentRequests());
        AtomicInteger threads = new AtomicInteger();
        this.httpExecutor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "cloudrun-ai-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Duration silence = config.aiFirstByteTimeout();
        Duration overall = config.aiTimeout();
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
        this.chain = new ProviderChain(providers, FAILURES_BEFORE_COOLDOWN, config.aiCooldown(), clock);
    }

    private static Optional<AiProvider> create(String name, ServerConfig config, HttpClient client, Duration silence,
            Duration overall) {
        switch (name) {
            case "groq" -> {
                return config.aiSetting("GROQ_API_KEY").map(key -> new OpenAiCompatibleProvider("groq",
                        url(config, "GROQ_BASE_URL"), key, model(config, "GROQ_MODEL"), client, silence, overall));
            }
            case "gemini" -> {
                return config.aiSetting("GEMINI_API_KEY").map(key -> new GeminiProvider(url(config, "GEMINI_BASE_URL"), key,
                        model(config, "GEMINI_MODEL"), client, silence, overall));
            }
            default -> {
                if (config.aiSetting("CLOUDRUN_AI_BASE_URL").isEmpty()) {
                    return Optional.empty();
                }
                String model = config.aiSetting("CLOUDRUN_AI_MODEL").orElseThrow(() -> new ServerConfigException(
                        "CLOUDRUN_AI_BASE_URL is set but CLOUDRUN_AI_MODEL is not: name the model to use (for example llama3.2)"));
                return Optional.of(new OpenAiCompatibleProvider("generic", url(config, "CLOUDRUN_AI_BASE_URL"),
                        config.aiSetting("CLOUDRUN_AI_API_KEY").orElse(null), model, client, silence, overall));
            }
        }
    }

    private static String model(ServerConfig config, String setting) {
        return config.aiSetting(setting).orElseThrow(() -> new ServerConfigException(setting + " must not be empty"));
    }

    private static String url(ServerConfig config, String setting) {
        String value = config.aiSetting(setting).orElseThrow(() -> new ServerConfigException(setting + " must not be empty"));
        try {
            URI uri = URI.create(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return value;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new ServerConfigException(setting + " must be an http:// or https:// URL, was '" + value + "'");
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
