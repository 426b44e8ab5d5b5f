package dev.cloudrun.server.grading;

import dev.cloudrun.internal.PrivateNetworks;
import dev.cloudrun.server.http.ApiError;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which URLs a grading callback may go to: the sandboxes' network rule ({@link PrivateNetworks}), so
 * that a client cannot make the server POST to this host, its LAN or a cloud metadata service. A
 * URL is checked twice: its syntax and its host's addresses when the submission arrives (a 400
 * naming the field, so the client learns at once), and the addresses again right before each
 * delivery, since DNS may have changed meanwhile. A host is refused when any of its addresses is
 * private.
 *
 * <p>The addresses are resolved again by the HTTP client when it connects; a name server that
 * answers differently within that moment (DNS rebinding) is not caught here. Operators who need
 * that closed too keep the server's own egress firewalled.
 */
public final class CallbackFence {
    /** The longest callback URL accepted (the column's size). */
    public static final int MAX_URL_LENGTH = 2_000;

    private final boolean allowPrivate;

    /**
     * @param allowPrivate {@code CLOUDRUN_CALLBACK_ALLOW_PRIVATE}: true lets callbacks go anywhere,
     *     for a server whose clients all sit in its own network (and for tests)
     */
    public CallbackFence(boolean allowPrivate) {
        this.allowPrivate = allowPrivate;
    }

    /**
     * Checks a callback URL's syntax: an absolute {@code http} or {@code https} URL with a host, no
     * user name or password, at most {@value #MAX_URL_LENGTH} characters. Nothing is resolved.
     *
     * @param url the URL as the client sent it
     * @param field the request field it came in, named by the error
     * @return the parsed URL
     * @throws ApiError a 400 {@code invalid_callback_url} that says what is wrong
     */
    public static URI checkUrl(String url, String field) {
        if (url == null || url.isBlank()) {
            throw invalid(field, "must be an absolute http or https URL");
        }
        if (url.length() > MAX_URL_LENGTH) {
            throw invalid(field, "must be at most " + MAX_URL_LENGTH + " characters, was " + url.length());
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw invalid(field, "is not a valid URL ('" + ApiError.shown(url) + "': " + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!uri.isAbsolute() || !("http".equals(scheme) || "https".equals(scheme))) {
            throw invalid(field, "must be an absolute http or https URL, was '" + ApiError.shown(url) + "'");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid(field, "must not contain a user name or password (sign-in data in a URL leaks into logs);"
                    + " verify the X-CloudRun-Signature header instead");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid(field, "must name a host, was '" + ApiError.shown(url) + "'");
        }
        return uri;
    }

    private static ApiError invalid(String field, String problem) {
        return ApiError.badField("invalid_callback_url", field, field + " " + problem);
    }

    /**
     * Checks where a callback URL leads, when a submission arrives.
     *
     * @param url a URL that passed {@link #checkUrl}
     * @param field the request field it came in
     * @throws ApiError a 400 {@code callback_url_refused} when the host does not resolve or
     *     reaches a private address
     */
    public void checkDestination(URI url, String field) {
        refusal(url).ifPresent(reason -> {
            throw ApiError.badField("callback_url_refused", field, field + " is refused: " + reason);
        });
    }

    /**
     * Why a callback must not go to a URL now: its host resolves (all of its addresses) to a
     * loopback, private, link-local, unique-local, multicast, unspecified or shared (CGNAT)
     * address, or to an IPv6 form of one, or does not resolve at all. Literal addresses are judged
     * without DNS.
     *
     * @param url a URL that passed {@link #checkUrl}
     * @return the reason, one sentence without a trailing period; empty when the URL may be used
     */
    public Optional<String> refusal(URI url) {
        if (allowPrivate) {
            return Optional.empty();
        }
        String host = url.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return Optional.of("the host " + ApiError.shown(host) + " does not resolve");
        }
        for (InetAddress address : addresses) {
            if (PrivateNetworks.isPrivate(address)) {
                return Optional.of("the host " + ApiError.shown(host) + " resolves to " + address.getHostAddress()
                        + ", a loopback, private or link-local address that callbacks may not reach");
            }
        }
        return Optional.empty();
    }
}
