package dev.cloudrun.docker;

import dev.cloudrun.internal.SyscallPolicy;
import java.util.Optional;

/**
 * CloudRun's seccomp profile for containers: {@link SyscallPolicy}, the one policy of every
 * backend, rendered as an allow-list profile. Docker's own default profile allows {@code ptrace}
 * (on kernels 4.8 and later), so a program could attach to pid 1 ({@code docker-init}, which runs as
 * the program's user) and stop it, hanging the run until its wall-clock limit; this profile does not.
 * Language runtimes never trace; debuggers do not work in CloudRun's containers.
 *
 * <p>Only x86_64 is described; on another architecture containers keep Docker's default profile.
 */
final class SeccompProfile {
    private static final Optional<String> SECURITY_OPT = isX8664()
            ? Optional.of("seccomp=" + SyscallPolicy.dockerProfileJson()) : Optional.empty();
    private static final Optional<String> GVISOR_SECURITY_OPT = isX8664()
            ? Optional.of("seccomp=" + SyscallPolicy.gvisorProfileJson()) : Optional.empty();

    private SeccompProfile() { }

    /** @return the {@code --security-opt} value that applies the profile (the daemon takes the JSON itself), if any */
    static Optional<String> securityOpt() {
        return SECURITY_OPT;
    }

    /** @return the same for containers under gVisor ({@link SyscallPolicy#gvisorProfileJson()}), if any */
    static Optional<String> gvisorSecurityOpt() {
        return GVISOR_SECURITY_OPT;
    }

    private static boolean isX8664() {
        String arch = System.getProperty("os.arch");
        return "amd64".equals(arch) || "x86_64".equals(arch);
    }
}
