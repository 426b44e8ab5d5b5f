package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.spi.NetworkEndpoint;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fences network-enabled sandboxes off this host's own services and off private networks. With
 * network on, a sandbox could otherwise talk to a database on {@code 127.0.0.1}, the CloudRun
 * server itself, a cloud metadata service on {@code 169.254.169.254} or anything in the LAN
 * (Judge0's CVE-2024-29021). The kernel enforces it with iptables rules that reject packets to this
 * host's addresses and to private, link-local, shared and multicast ranges, for the sandbox's
 * traffic only:
 * <ul>
 *   <li>local sandboxes share the host's network stack: their packets are matched by the sandbox's
 *       host uid ({@code OUTPUT -m owner --uid-owner}), which only CloudRun's sandboxes use;</li>
 *   <li>Docker sandboxes sit on a bridge of their own: their packets are matched by that bridge
 *       ({@code INPUT -i} for this host, {@code DOCKER-USER -i} for everything routed).</li>
 * </ul>
 * The host's name servers stay reachable on port 53 (Docker's embedded DNS forwards to them from the
 * container's network namespace). Endpoints that steps name (the package index mirror of an install step) stay reachable while a
 * step holds them. The rules live in a chain of their own ({@code CLOUDRUN-...}); installing them
 * is idempotent, so several CloudRun instances on one host share them, and they stay after the JVM
 * exits (they only concern CloudRun's sandboxes).
 */
public final class NetworkFence {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkFence.class);
    private static final List<String> PRIVATE_V4 = PrivateNetworks.V4;
    private static final List<String> PRIVATE_V6 = PrivateNetworks.V6;
    private static final List<String> SEARCH_PATH = List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin");

    /** The comment on this JVM's own endpoint rules. */
    private static final String OWN_TAG = "cloudrun-" + ProcessHandle.current().pid();
    private static final Pattern STALE_TAG = Pattern.compile("--comment \"?cloudrun-(\\d+)\"?");

    private final String iptables;
    private final String ip6tables;
    private final String chain;
    /** Endpoint rules that steps hold now, with how many hold each; the name servers' are held for good. */
    private final Map<List<String>, Integer> holds = new HashMap<>();

    private NetworkFence(String iptables, String ip6tables, String chain) {
        this.iptables = iptables;
        this.ip6tables = ip6tables;
        this.chain = chain;
    }

    /**
     * Installs the fence for local sandboxes that run as a host uid of their own.
     *
     * @param uid the host uid sandboxes run as (never a uid anything else uses)
     * @return the fence
     * @throws CloudRunException if it cannot be installed (no iptables, not root, no netfilter)
     */
    public static NetworkFence forSandboxUid(int uid) {
        String iptables = tool("iptables");
        String ip6tables = hostHasIpv6() ? tool("ip6tables") : null;
        NetworkFence fence = new NetworkFence(iptables, ip6tables, "CLOUDRUN-" + uid);
        List<String> match = List.of("-m", "owner", "--uid-owner", Integer.toString(uid));
        fence.installBase(iptables, PRIVATE_V4, List.of("OUTPUT"), match);
        fence.sweepStaleRules(iptables);
        if (ip6tables != null) {
            fence.installBase(ip6tables, PRIVATE_V6, List.of("OUTPUT"), match);
            fence.sweepStaleRules(ip6tables);
        }
        fence.holdNameServers();
        return fence;
    }

    /** Lets sandboxes resolve names through this host's name servers (Docker's embedded DNS forwards to them too). */
    private void holdNameServers() {
        for (InetAddress server : nameServers()) {
            for (String protocol : List.of("udp", "tcp")) {
                hold(server, protocol, 53, false);
            }
        }
    }

    /**
     * Installs the fence for containers on a Docker bridge network of CloudRun's own (IPv4; the
     * daemon must run on this host, in this network namespace).
     *
     * @param bridge the bridge interface's name
     * @return the fence
     * @throws CloudRunException if it cannot be installed (no iptables, not root, no DOCKER-USER chain)
     */
    public static NetworkFence forDockerBridge(String bridge) {
        if (!bridge.matches("[A-Za-z0-9_.-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: " + bridge);
        }
        String iptables = tool("iptables");
        NetworkFence fence = new NetworkFence(iptables, null, "CLOUDRUN-" + bridge);
        fence.installBase(iptables, PRIVATE_V4, List.of("INPUT", "DOCKER-USER"), List.of("-i", bridge));
        fence.sweepStaleRules(iptables);
        fence.holdNameServers();
        return fence;
    }

    private static String tool(String name) {
        if (!HostUser.isRoot()) {
            throw new CloudRunException("only root can add the firewall rules");
        }
        return SEARCH_PATH.stream().map(dir -> Path.of(dir, name)).filter(Files::isExecutable).map(Path::toString)
                .findFirst().orElseThrow(() -> new CloudRunException(name + " is not installed ('apt-get install iptables')"));
    }

    /**
     * Lets sandboxes reach endpoints that would otherwise be fenced off, until the returned action
     * runs (the rules go when the last holder lets go).
     *
     * @param endpoints the endpoints (host names are resolved now, on the host)
     * @return what releases them
     * @throws CloudRunException if a host name does not resolve or a rule cannot be added
     */
    public synchronized Runnable allow(List<NetworkEndpoint> endpoints) {
        List<List<String>> held = new ArrayList<>();
        try {
            for (NetworkEndpoint endpoint : endpoints) {
                InetAddress[] addresses;
                try {
                    addresses = InetAddress.getAllByName(endpoint.host());
                } catch (UnknownHostException e) {
                    throw new dev.cloudrun.spi.UnreachableEndpointException(endpoint.host(), e);
                }
                for (InetAddress address : addresses) {
                    hold(address, "tcp", endpoint.port(), true).ifPresent(held::add);
                }
            }
        } catch (RuntimeException e) {
            release(held);
            throw e;
        }
        return () -> release(held);
    }

    /**
     * Adds (or counts one more holder of) a rule that lets a destination through.
     *
     * @param own true for a rule of this JVM's, tagged with its pid so that another CloudRun JVM on
     *     the host never removes it (and a stale one can be told apart); false for a shared rule
     *     that stays for good
     */
    private synchronized Optional<List<String>> hold(InetAddress address, String protocol, int port,
                                                                boolean own) {
        boolean v6 = address instanceof Inet6Address;
        if (v6 && ip6tables == null) {
            return Optional.empty(); // no IPv6 on this host: nothing to reach
        }
        String tool = v6 ? ip6tables : iptables;
        List<String> rule = new ArrayList<>(List.of(tool, "-p", protocol, "-d",
                address.getHostAddress() + (v6 ? "/128" : "/32"), "--dport", Integer.toString(port)));
        if (own) {
            rule.addAll(List.of("-m", "comment", "--comment", OWN_TAG));
        }
        rule.addAll(List.of("-j", "RETURN"));
        int count = holds.getOrDefault(rule, 0);
        if (count == 0 && !succeeds(tool, "-C", chain, rule.subList(1, rule.size()))) {
            run(tool, "-I", chain, List.of("1"), rule.subList(1, rule.size()));
        }
        holds.put(rule, count + 1);
        return Optional.of(rule);
    }

    /** Removes the endpoint rules of CloudRun JVMs that are gone (their tag names a dead pid). */
    private void sweepStaleRules(String tool) {
        Result listing = execute(tool, "-S", chain, List.of(), List.of());
        for (String line : listing.output().split("\n")) {
            Matcher tag = STALE_TAG.matcher(line);
            if (!line.startsWith("-A " + chain + " ") || !tag.find()) {
                continue;
            }
            long pid = Long.parseLong(tag.group(1));
            if (ProcessOwner.isAlive(pid)) {
                continue;
            }
            List<String> rule = List.of(line.substring(("-A " + chain + " ").length()).split(" "));
            Result removed = execute(tool, "-D", chain, List.of(), rule);
            if (removed.exitCode() != 0) {
                LOG.warn("could not remove the stale fence rule '{}': {}", line, removed.output().strip());
            }
        }
    }

    private synchronized void release(List<List<String>> rules) {
        for (List<String> rule : rules) {
            int count = holds.getOrDefault(rule, 0) - 1;
            if (count > 0) {
                holds.put(rule, count);
                continue;
            }
            holds.remove(rule);
            Result result = execute(rule.get(0), "-D", chain, List.of(), rule.subList(1, rule.size()));
            if (result.exitCode != 0) {
                LOG.warn("could not remove the fence rule {}: {}", rule, result.output.strip());
            }
        }
    }

    private void installBase(String tool, List<String> privateRanges, List<String> hooks, List<String> match) {
        if (!succeeds(tool, "-L", chain, List.of("-n"))) {
            run(tool, "-N", chain, List.of(), List.of());
        }
        List<List<String>> rejects = new ArrayList<>();
        rejects.add(List.of("-m", "addrtype", "--dst-type", "LOCAL", "-j", "REJECT"));
        for (String range : privateRanges) {
            rejects.add(List.of("-d", range, "-j", "REJECT"));
        }
        for (List<String> rule : rejects) {
            if (!succeeds(tool, "-C", chain, rule)) {
                run(tool, "-A", chain, List.of(), rule);
            }
        }
        List<String> jump = new ArrayList<>(match);
        jump.addAll(List.of("-j", chain));
        for (String hook : hooks) {
            if (!succeeds(tool, "-C", hook, jump)) {
                run(tool, "-I", hook, List.of("1"), jump);
            }
        }
    }

    private static boolean hostHasIpv6() {
        try {
            Path interfaces = Path.of("/proc/net/if_inet6");
            return Files.exists(interfaces) && !Files.readString(interfaces).isBlank();
        } catch (IOException e) {
            return true; // assume it has: then ip6tables must work
        }
    }

    /**
     * The IP addresses of this host's name servers: {@code /etc/resolv.conf}'s, and with
     * systemd-resolved its upstream servers (which Docker uses instead of {@code 127.0.0.53}).
     */
    static List<InetAddress> nameServers() {
        List<InetAddress> servers = new ArrayList<>();
        for (String file : List.of("/etc/resolv.conf", "/run/systemd/resolve/resolv.conf")) {
            try {
                for (String line : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8)) {
                    String[] words = line.trim().split("\\s+");
                    if (words.length >= 2 && words[0].equals("nameserver") && words[1].matches("[0-9a-fA-F.:]+")) {
                        InetAddress server = InetAddress.getByName(words[1].replaceAll("%.*", ""));
                        if (!servers.contains(server)) {
                            servers.add(server);
                        }
                    }
                }
            } catch (IOException e) {
                // Not there: nothing to let through from it.
            }
        }
        return servers;
    }

    private static boolean succeeds(String tool, String action, String chain, List<String> rule) {
        return execute(tool, action, chain, List.of(), rule).exitCode == 0;
    }

    private static void run(String tool, String action, String chain, List<String> position, List<String> rule) {
        Result result = execute(tool, action, chain, position, rule);
        if (result.exitCode != 0) {
            throw new CloudRunException(tool + " " + action + " " + chain + " " + String.join(" ", rule) + " failed: "
                    + result.output.strip());
        }
    }

    private record Result(int exitCode, String output) { }

    private static Result execute(String tool, String action, String chain, List<String> position, List<String> rule) {
        List<String> command = new ArrayList<>(List.of(tool, "-w", "10", action, chain));
        command.addAll(position);
        command.addAll(rule);
        try {
            HostCommand.Result result = HostCommand.run(command, Duration.ofSeconds(20));
            return new Result(result.exitCode(), result.output());
        } catch (IOException e) {
            throw new CloudRunException("cannot run " + tool + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudRunException("interrupted while running " + tool, e);
        }
    }
}
