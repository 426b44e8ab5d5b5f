package dev.cloudrun.docker;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A second Docker daemon of this test's own (own socket, data root, exec root, a bridge of its own, no
 * iptables), so a test can crash and restart a daemon without touching the host's. Needs root.
 */
final class PrivateDockerDaemon implements AutoCloseable {
    private final Path root;
    private final Path socket;
    /** A bridge of our own: with {@code --bridge none} dockerd deletes the host daemon's docker0. */
    private final String bridge = "crtest" + Long.toHexString(System.nanoTime() & 0xffffL);
    private Process containerd;
    private int tcpPort;
    private final List<String> runtimes = new ArrayList<>();
    private Process daemon;

    PrivateDockerDaemon(Path root) {
        this.root = root;
        this.socket = root.resolve("docker.sock");
    }

    /**
     * Makes the daemon also listen on plain TCP on the loopback interface (call before {@link #start()}).
     *
     * @return the {@code tcp://} address
     */
    String listenOnTcp() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            tcpPort = probe.getLocalPort();
        }
        return "tcp://127.0.0.1:" + tcpPort;
    }

    /**
     * Registers an OCI runtime with the daemon (call before {@link #start()}).
     *
     * @param name the runtime's name, for {@code --runtime}
     * @param binary the runtime's executable
     */
    void addRuntime(String name, Path binary) {
        runtimes.add(name + "=" + binary);
    }

    String dockerHost() {
        return "unix://" + socket;
    }

    void start() throws IOException, InterruptedException {
        Files.createDirectories(root.resolve("data"));
        Files.createDirectories(root.resolve("exec"));
        if (containerd == null) {
            Result link = run(List.of("bash", "-c", "ip link add " + bridge + " type bridge && ip addr add 10.213.77.1/24 dev "
                    + bridge + " && ip link set " + bridge + " up"));
            if (link.exitCode != 0) {
                throw new IllegalStateException("cannot create bridge " + bridge + ": " + link.output);
            }
            // A containerd of our own that outlives a crashed dockerd, as the system's does.
            Path config = root.resolve("containerd.toml");
            Files.writeString(config, "version = 2\nroot = \"" + root.resolve("containerd-root") + "\"\n"
                    + "state = \"" + root.resolve("containerd-state") + "\"\n"
                    + "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                    + "[grpc]\n  address = \"" + root.resolve("containerd.sock") + "\"\n");
            containerd = new ProcessBuilder("/usr/bin/containerd", "--config", config.toString())
                    .redirectErrorStream(true).redirectOutput(root.resolve("containerd.log").toFile()).start();
        }
        List<String> command = new ArrayList<>(List.of("/usr/sbin/dockerd", "--host", dockerHost()));
        if (tcpPort != 0) {
            command.addAll(List.of("--host", "tcp://127.0.0.1:" + tcpPort));
        }
        for (String runtime : runtimes) {
            command.addAll(List.of("--add-runtime", runtime));
        }
        command.addAll(List.of("--containerd", root.resolve("containerd.sock").toString(),
                "--data-root", root.resolve("data").toString(), "--exec-root", root.resolve("exec").toString(),
                "--pidfile", root.resolve("dockerd.pid").toString(), "--bridge", bridge, "--iptables=false",
                "--ip-masq=false", "--storage-driver", "overlay2"));
        daemon = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("dockerd.log").toFile())).start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .failFast("the private dockerd exited", () -> !daemon.isAlive())
                    .until(() -> docker("info").exitCode == 0);
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException("the private dockerd did not come up: "
                    + Files.readString(root.resolve("dockerd.log")), e);
        }
    }

    /** Crashes the daemon (SIGKILL), as a daemon failure mid-run would. */
    void crash() throws InterruptedException {
        daemon.destroyForcibly();
        daemon.waitFor(10, TimeUnit.SECONDS);
    }

    /** Copies an image from the host's daemon. */
    void loadImageFromHost(String image) throws IOException, InterruptedException {
        Result result = run(List.of("bash", "-c", "set -o pipefail; docker save " + image + " | docker --host "
                + dockerHost() + " load"));
        if (result.exitCode != 0) {
            throw new IllegalStateException("cannot copy " + image + " to the private daemon: " + result.output);
        }
    }

    Result docker(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("docker", "--host", dockerHost()));
        command.addAll(List.of(arguments));
        return run(command);
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, output);
        }
        return new Result(process.exitValue(), output);
    }

    /** Stops the daemon (SIGTERM, waiting), then its containerd, by their ids. */
    @Override
    public void close() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        }
        if (containerd != null) {
            // The shims of containers of this daemon, started by our containerd (none normally).
            List<ProcessHandle> shims = ProcessHandle.allProcesses()
                    .filter(process -> process.info().commandLine().orElse("").contains(root.resolve("containerd.sock").toString()))
                    .toList();
            containerd.destroy();
            if (!containerd.waitFor(20, TimeUnit.SECONDS)) {
                containerd.destroyForcibly();
            }
            for (ProcessHandle shim : shims) {
                shim.descendants().forEach(ProcessHandle::destroyForcibly);
                shim.destroyForcibly();
            }
        }
        run(List.of("ip", "link", "delete", bridge));
        run(List.of("bash", "-c", "grep -o ' " + root + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf "
                + root));
    }

    record Result(int exitCode, String output) { }

    static Duration since(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos);
    }
}
