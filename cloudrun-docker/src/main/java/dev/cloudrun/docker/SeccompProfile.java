package dev.cloudrun.docker;

import dev.cloudrun.CloudRunException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * CloudRun's seccomp profile for containers: Docker's default profile (moby v20.10.24,
 * {@code profiles/seccomp/default.json}) without its rule that allows {@code ptrace} on kernels
 * 4.8 and later. Without {@code CAP_SYS_PTRACE} (containers have no capabilities), Docker's default
 * already refuses {@code process_vm_readv}/{@code process_vm_writev}, {@code kcmp},
 * {@code pidfd_getfd} and {@code process_madvise}; {@code ptrace} it allowed, so a program could
 * attach to pid 1 ({@code docker-init}) and stop it, hanging the run until its wall-clock limit.
 * Language runtimes never trace; debuggers do not work in CloudRun's containers.
 */
final class SeccompProfile {
    private static final String RESOURCE = "seccomp.json";
    private static final String SECURITY_OPT = "seccomp=" + load();

    private SeccompProfile() { }

    /** @return the {@code --security-opt} value that applies the profile (the daemon takes the JSON itself) */
    static String securityOpt() {
        return SECURITY_OPT;
    }

    private static String load() {
        try (InputStream in = SeccompProfile.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new CloudRunException("the seccomp profile " + RESOURCE + " is missing from cloudrun-docker's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CloudRunException("cannot read the seccomp profile " + RESOURCE + ": " + e, e);
        }
    }
}
