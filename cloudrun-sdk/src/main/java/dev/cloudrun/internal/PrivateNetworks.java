package dev.cloudrun.internal;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * The address ranges that code CloudRun runs for others must not reach: this host, private and
 * shared (CGNAT) networks, link-local (cloud metadata on {@code 169.254.169.254}), unique-local,
 * multicast and reserved ranges. {@link NetworkFence} turns them into firewall rules for sandboxes;
 * the server refuses grading callbacks to them. Declared once here so that both keep the same rule.
 */
public final class PrivateNetworks {
    /** The IPv4 ranges, in CIDR notation. */
    public static final List<String> V4 = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
            "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
            "240.0.0.0/4");
    /** The IPv6 ranges, in CIDR notation (IPv4-mapped and -compatible addresses fall under {@link #V4}). */
    public static final List<String> V6 = List.of("::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8");

    private static final List<Range> RANGES = Stream.concat(V4.stream(), V6.stream())
            .map(Range::parse).toList();

    private PrivateNetworks() { }

    /**
     * Whether an address is in one of the ranges. An IPv6 address that carries an IPv4 address
     * ({@code ::ffff:a.b.c.d} mapped, {@code ::a.b.c.d} compatible) is judged by that IPv4 address,
     * since connecting to it reaches the IPv4 host.
     *
     * @param address the address
     * @return true if code run for others must not reach it
     */
    public static boolean isPrivate(InetAddress address) {
        InetAddress judged = embeddedV4(address);
        if (judged.isAnyLocalAddress() || judged.isLoopbackAddress() || judged.isLinkLocalAddress()
                || judged.isSiteLocalAddress() || judged.isMulticastAddress()) {
            return true;
        }
        byte[] bytes = judged.getAddress();
        return RANGES.stream().anyMatch(range -> range.contains(bytes));
    }

    /** The IPv4 address inside an IPv4-mapped or -compatible IPv6 address, otherwise the address itself. */
    private static InetAddress embeddedV4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address;
        }
        byte[] bytes = address.getAddress();
        boolean zeroPrefix = Arrays.equals(Arrays.copyOfRange(bytes, 0, 10), new byte[10]);
        boolean mapped = zeroPrefix && bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
        boolean compatible = zeroPrefix && bytes[10] == 0 && bytes[11] == 0; // :: and ::1 land in 0.0.0.0/8
        if (!mapped && !compatible) {
            return address;
        }
        try {
            return Inet4Address.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    private record Range(byte[] network, int prefixLength) {
        static Range parse(String cidr) {
            int slash = cidr.indexOf('/');
            try {
                // Literal addresses only: no name is looked up.
                byte[] network = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
                return new Range(network, Integer.parseInt(cidr.substring(slash + 1)));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("not a CIDR range: " + cidr, e);
            }
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int shift = address.length * 8 - prefixLength;
            return new BigInteger(1, address).shiftRight(shift).equals(new BigInteger(1, network).shiftRight(shift));
        }
    }
}
