package dev.cloudrun.server.http;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The address a request comes from, for per-address limits (requests, logins, guest sessions).
 * Behind a reverse proxy every request comes from the proxy, so one person could exhaust everyone's
 * limits; with the proxy's address trusted ({@code CLOUDRUN_TRUSTED_PROXIES}), the client is the
 * right-most {@code X-Forwarded-For} hop that is not a trusted proxy. Without trusted proxies the
 * header is ignored, so a client cannot pick its own address.
 */
public final class ClientAddress {
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private final List<Range> trusted;

    private ClientAddress(List<Range> trusted) {
        this.trusted = trusted;
    }

    /**
     * Parses the trusted proxies.
     *
     * @param proxies IP addresses or CIDR ranges ({@code 10.0.0.0/8}, {@code ::1})
     * @return the resolver
     * @throws IllegalArgumentException naming the entry that is not an address or range
     */
    public static ClientAddress trusting(List<String> proxies) {
        List<Range> ranges = new ArrayList<>();
        for (String proxy : proxies) {
            ranges.add(Range.parse(proxy.trim()));
        }
        return new ClientAddress(List.copyOf(ranges));
    }

    /**
     * @param ctx a request
     * @return its client's address
     */
    public String of(Context ctx) {
        return of(ctx.req().getRemoteAddr(), ctx.header("X-Forwarded-For"));
    }

    /**
     * @param peer the address of the connection's other end
     * @param forwardedFor the {@code X-Forwarded-For} header, or null
     * @return the client's address
     */
    public String of(String peer, String forwardedFor) {
        if (forwardedFor == null || !isTrusted(peer)) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        String client = peer;
        for (int i = hops.length - 1; i >= 0; i--) {
            Optional<InetAddress> hop = literal(hops[i].trim());
            if (hop.isEmpty()) {
                return client; // garbage from further out: stop at the last hop we could trust
            }
            client = hop.get().getHostAddress();
            if (!isTrusted(client)) {
                return client;
            }
        }
        return client;
    }

    private boolean isTrusted(String address) {
        Optional<InetAddress> parsed = literal(address);
        return parsed.isPresent() && trusted.stream().anyMatch(range -> range.contains(parsed.get()));
    }

    private static Optional<InetAddress> literal(String text) {
        if (text == null || !IP_LITERAL.matcher(text).matches() || !text.contains(".") && !text.contains(":")) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(text)); // an IP literal: no name lookup
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** An address range: base address and prefix length. */
    private record Range(byte[] base, int prefix) {
        static Range parse(String text) {
            String[] parts = text.split("/", 2);
            InetAddress address = literal(parts[0]).orElseThrow(() ->
                    new IllegalArgumentException("'" + text + "' is not an IP address or CIDR range"));
            int bits = address.getAddress().length * 8;
            int prefix = bits;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0-" + bits);
                }
            }
            return new Range(address.getAddress(), prefix);
        }

        boolean contains(InetAddress address) {
            byte[] bytes = address.getAddress();
            if (bytes.length != base.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((bytes[bit / 8] & mask) != (base[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }
}
