package dev.cloudrun.server.ai;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured providers in order. A call that fails moves on to the next provider; a provider
 * that failed {@code failuresBeforeCooldown} times in a row is skipped for {@code cooldown} (unless
 * every provider is cooling down, then all are tried anyway). A streamed answer is never switched to
 * another provider once its first text was passed on: failover happens only before the first token.
 * Thread-safe.
 */
final class ProviderChain {
    private static final Logger LOG = LoggerFactory.getLogger(ProviderChain.class);

    private final List<AiProvider> providers;
    private final Map<String, Health> health = new LinkedHashMap<>();
    private final int failuresBeforeCooldown;
    private final Duration cooldown;
    private final Clock clock;

    /** An answer and who gave it. */
    record Answer(String text, AiProvider provider) { }

    /** Every provider failed before answering; the message lists why, provider by provider. */
    static final class AllFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        AllFailedException(String message) {
            super(message, null, false, false);
        }
    }

    /** The provider failed after part of its answer was streamed; that part is all the client gets. */
    static final class BrokenStreamException extends Exception {
        private static final long serialVersionUID = 1L;

        BrokenStreamException(String message) {
            super(message, null, false, false);
        }
    }

    /** Receives a streamed answer. */
    interface StreamListener {
        /** The first token of the answer arrived from this provider; no other provider will be asked. */
        void started(AiProvider provider);

        /** The next piece of text. */
        void delta(String text);
    }

    private static final class Health {
        int consecutiveFailures;
        Instant coolingUntil = Instant.MIN;
        String lastError;
        Boolean reachable;
    }

    ProviderChain(List<AiProvider> providers, int failuresBeforeCooldown, Duration cooldown, Clock clock) {
        this.providers = List.copyOf(providers);
        this.failuresBeforeCooldown = failuresBeforeCooldown;
        this.cooldown = cooldown;
        this.clock = clock;
        providers.forEach(provider -> health.put(provider.name(), new Health()));
    }

    List<AiProvider> providers() {
        return providers;
    }

    /**
     * Streams an answer from the first provider that starts one.
     *
     * @param prompt the prompt
     * @param listener receives the text
     * @return the whole answer
     * @throws AllFailedException when no provider started an answer
     * @throws BrokenStreamException when the provider failed after its answer started
     */
    Answer stream(Prompt prompt, StreamListener listener) throws AllFailedException, BrokenStreamException {
        List<String> failures = new ArrayList<>();
        for (AiProvider provider : order()) {
            boolean[] started = {false};
            Consumer<String> onDelta = text -> {
                if (!started[0]) {
                    started[0] = true;
                    listener.started(provider);
                }
                listener.delta(text);
            };
            try {
                String text = provider.stream(prompt, onDelta);
                succeeded(provider);
                return new Answer(text, provider);
            } catch (ProviderException e) {
                failed(provider, e);
                if (started[0]) {
                    throw new BrokenStreamException(e.getMessage() + "; the answer is incomplete");
                }
                failures.add(e.getMessage());
            }
        }
        throw new AllFailedException(describe(failures));
    }

    /**
     * Gets a whole answer from the first provider that gives one.
     *
     * @param prompt the prompt
     * @return the answer
     * @throws AllFailedException when every provider failed
     */
    Answer complete(Prompt prompt) throws AllFailedException {
        List<String> failures = new ArrayList<>();
        for (AiProvider provider : order()) {
            try {
                String text = provider.complete(prompt);
                succeeded(provider);
                return new Answer(text, provider);
            } catch (ProviderException e) {
                failed(provider, e);
                failures.add(e.getMessage());
            }
        }
        throw new AllFailedException(describe(failures));
    }

    private static String describe(List<String> failures) {
        return "no AI provider could answer: " + String.join("; ", failures);
    }

    /** The providers to try now: those not cooling down, or all of them if every one is. */
    synchronized List<AiProvider> order() {
        Instant now = clock.instant();
        List<AiProvider> ready = providers.stream().filter(p -> !health.get(p.name()).coolingUntil.isAfter(now)).toList();
        return ready.isEmpty() ? providers : ready;
    }

    private synchronized void succeeded(AiProvider provider) {
        Health state = health.get(provider.name());
        state.consecutiveFailures = 0;
        state.coolingUntil = Instant.MIN;
        state.lastError = null;
        state.reachable = true;
    }

    private synchronized void failed(AiProvider provider, ProviderException failure) {
        Health state = health.get(provider.name());
        state.consecutiveFailures++;
        state.lastError = failure.getMessage();
        state.reachable = false;
        LOG.warn("AI provider {} failed: {}", provider.name(), failure.getMessage());
        if (state.consecutiveFailures >= failuresBeforeCooldown) {
            state.coolingUntil = clock.instant().plus(cooldown);
            LOG.warn("AI provider {} failed {} times in a row; skipping it for {} s", provider.name(),
                    state.consecutiveFailures, cooldown.toSeconds());
        }
    }

    /**
     * @return per provider: {@code name}, {@code model}, {@code state} ({@code ready}, {@code cooling_down}),
     *     {@code reachable} (true, false, or null before the first call) and {@code lastError}
     */
    synchronized List<Map<String, Object>> describeProviders() {
        Instant now = clock.instant();
        List<Map<String, Object>> views = new ArrayList<>();
        for (AiProvider provider : providers) {
            Health state = health.get(provider.name());
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", provider.name());
            view.put("model", provider.model());
            view.put("configured", true);
            boolean cooling = state.coolingUntil.isAfter(now);
            view.put("state", cooling ? "cooling_down" : "ready");
            if (cooling) {
                view.put("retryAt", state.coolingUntil.toString());
            }
            view.put("reachable", state.reachable);
            if (state.lastError != null) {
                view.put("lastError", state.lastError);
            }
            views.add(view);
        }
        return views;
    }
}
