package dev.cloudrun.server.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Decides which browser origins may call the API and open WebSockets. Allowed: the server's own
 * origin (when its host is one the server answers to, {@link HostPolicy}: an {@code Origin} equal
 * to a rebound {@code Host} proves nothing), {@code http://localhost:*} and {@code http://127.0.0.1:*}
 * (development), and the origins listed in {@code CLOUDRUN_CORS_ORIGINS} ({@code *} allows every
 * origin). Requests without an {@code Origin} header (scripts, curl) are not browser requests and
 * are allowed. Only the configured and the development origins get CORS headers
 * ({@link #grantsCors}); the server's own pages need none.
 */
public final class OriginPolicy {
    private final List<String> configured;
    private final boolean allowAll;
    private final HostPolicy hosts;

    /**
     * Creates the policy.
     *
     * @param configuredOrigins extra allowed origins such as {@code https://ide.example.com}
     * @param hosts the names the server answers to
     */
    public OriginPolicy(List<String> configuredOrigins, HostPolicy hosts) {
        this.configured = configuredOrigins.stream().map(OriginPolicy::normalise).toList();
        this.allowAll = configured.contains("*");
        this.hosts = hosts;
    }

    /**
     * Whether an allowed cross-origin caller gets CORS headers: the configured origins and the
     * development ones ({@code http://localhost:*}, {@code http://127.0.0.1:*}), not the server's own.
     *
     * @param origin the {@code Origin} header, or null
     * @param host the {@code Host} header, or null
     * @return true when the response should carry {@code Access-Control-Allow-Origin}
     */
    public boolean grantsCors(String origin, String host) {
        if (origin == null || origin.isBlank()) {
            return false;
        }
        String normalised = normalise(origin);
        if (host != null && normalised.endsWith("://" + normalise(host))) {
            return false; // same origin
        }
        return allowAll || configured.contains(normalised) || isLocalDevelopment(normalised);
    }

    /** @return the names the server answers to */
    public HostPolicy hosts() {
        return hosts;
    }

    private static boolean isLocalDevelopment(String normalised) {
        try {
            URI uri = URI.create(normalised);
            String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
            return "http".equals(uri.getScheme())
                    && (host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]"));
        } catch (IllegalArgumentException e) {
            return false;
        }
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
        // Same origin: the browser's page came from this server, under a name the server answers to.
        return host != null && hosts.allows(host) && normalise(uri.getAuthority()).equals(normalise(host));
    }

    private static String normalise(String value) {
        String trimmed = value.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
