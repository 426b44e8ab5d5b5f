package dev.cloudrun.server.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Decides which browser origins may call the API and open WebSockets. Allowed: the server's own
 * origin, {@code http://localhost:*} and {@code http://127.0.0.1:*} (development), and the origins
 * listed in {@code CLOUDRUN_CORS_ORIGINS} ({@code *} allows every origin). Requests without an
 * {@code Origin} header (scripts, curl) are not browser requests and are allowed.
 */
public final class OriginPolicy {
    private final List<String> configured;
    private final boolean allowAll;

    /**
     * Creates the policy.
     *
     * @param configuredOrigins extra allowed origins such as {@code https://ide.example.com}
     */
    public OriginPolicy(List<String> configuredOrigins) {
        this.configured = configuredOrigins.stream().map(OriginPolicy::normalise).toList();
        this.allowAll = configured.contains("*");
    }

    /**
     * Whether a request may proceed.
     *
     * @param origin the {@code Origin} header, or null
     * @param host the {@code Host} header, or null
     * @return true when allowed
     */
    public boolean allows(String origin, String host) {
        if (origin == null || origin.isBlank()) {
            return true;
        }
        if (allowAll) {
            return true;
        }
        String normalised = normalise(origin);
        if (configured.contains(normalised)) {
            return true;
        }
        URI uri;
        try {
            uri = URI.create(normalised);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (uri.getHost() == null) {
            return false;
        }
        String originHost = uri.getHost().toLowerCase(Locale.ROOT);
        boolean local = originHost.equals("localhost") || originHost.equals("127.0.0.1") || originHost.equals("[::1]");
        if (local && "http".equals(uri.getScheme())) {
            return true;
        }
        // Same origin: the browser's page came from this server.
        return host != null && normalise(uri.getAuthority()).equals(normalise(host));
    }

    private static String normalise(String value) {
        String trimmed = value.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
