package dev.cloudrun.server.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which names the server answers to, against DNS rebinding: a page on {@code evil.example} whose
 * name is made to resolve to 127.0.0.1 reaches the server with {@code Host: evil.example}, so a
 * request naming a host the server does not know is refused before routing. Allowed: IP literals
 * (a browser that sends one really talks to that address, so there is nothing to rebind),
 * {@code localhost}, the host the server is bound to, and the names in {@code CLOUDRUN_ALLOWED_HOSTS}
 * ({@code *} turns the check off, for a proxy that checks names itself).
 */
public final class HostPolicy {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final List<String> names;
    private final boolean allowAll;

    /**
     * Creates the policy.
     *
     * @param boundHost the address or name the server listens on
     * @param allowedHosts extra names (without ports); {@code *} allows any
     */
    public HostPolicy(String boundHost, List<String> allowedHosts) {
        this.allowAll = allowedHosts.contains("*");
        ArrayList<String> all = new ArrayList<>(List.of("localhost"));
        all.add(boundHost.toLowerCase(Locale.ROOT));
        allowedHosts.forEach(name -> all.add(hostOf(name).orElse(name).toLowerCase(Locale.ROOT)));
        this.names = List.copyOf(all);
    }

    /**
     * @param hostHeader a {@code Host} header (name or address, optionally with a port), or null
     * @return whether the server answers to it; a request without one is not a browser's and is allowed
     */
    public boolean allows(String hostHeader) {
        if (allowAll || hostHeader == null) {
            return true;
        }
        Optional<String> host = hostOf(hostHeader);
        if (host.isEmpty()) {
            return false;
        }
        String name = host.get();
        return name.startsWith("[") || IPV4.matcher(name).matches() || names.contains(name);
    }

    /**
     * @param authority {@code name}, {@code name:port}, {@code [v6]} or {@code [v6]:port}
     * @return the lower-cased host part, empty when the text is not an authority
     */
    static Optional<String> hostOf(String authority) {
        String text = authority.trim().toLowerCase(Locale.ROOT);
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        String host;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0 || end + 1 < text.length() && text.charAt(end + 1) != ':') {
                return Optional.empty();
            }
            host = text.substring(0, end + 1);
            if (!host.substring(1, host.length() - 1).matches("[0-9a-f:.]+")) {
                return Optional.empty();
            }
        } else {
            int colon = text.indexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            if (colon >= 0 && !text.substring(colon + 1).matches("\\d{1,5}")) {
                return Optional.empty();
            }
            if (!host.matches("[a-z0-9._-]+")) {
                return Optional.empty();
            }
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
        }
        return host.isEmpty() ? Optional.empty() : Optional.of(host);
    }
}
