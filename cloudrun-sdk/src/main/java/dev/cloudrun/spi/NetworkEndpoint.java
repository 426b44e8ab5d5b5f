package dev.cloudrun.spi;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/**
 * A TCP endpoint that a network-enabled step may reach even though it is on this host or in a
 * private network, which sandboxes are otherwise fenced off from: the package index mirror of an
 * install step, for example.
 *
 * @param host a host name or an IP address literal
 * @param port the TCP port
 */
public record NetworkEndpoint(String host, int port) {
    /** Checks the components. */
    public NetworkEndpoint {
        Objects.requireNonNull(host, "host");
        if (!host.matches("[A-Za-z0-9.:_-]{1,253}")) {
            throw new IllegalArgumentException("not a host name or IP address: " + host);
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * The endpoint an http or https URL connects to.
     *
     * @param url the URL
     * @return its host and port (80 or 443 when the URL names none)
     * @throws IllegalArgumentException if it is not an http or https URL with a host
     */
    public static NetworkEndpoint of(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || url.getHost() == null) {
            throw new IllegalArgumentException("not an http or https URL with a host: " + url);
        }
        String host = url.getHost().startsWith("[") ? url.getHost().substring(1, url.getHost().length() - 1) : url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        return new NetworkEndpoint(host, port);
    }
}
