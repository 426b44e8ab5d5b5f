package dev.cloudrun;

/** Which sandbox a {@link CodeRunner} uses. */
public enum BackendKind {
    /**
     * Docker when the {@code dev.cloudrun:cloudrun-docker} jar is on the class path and a daemon
     * answers, otherwise the local bubblewrap sandbox.
     */
    AUTO,
    /** A fresh hardened Docker container per run; needs the {@code dev.cloudrun:cloudrun-docker} jar. */
    DOCKER,
    /** A bubblewrap sandbox on this host, limited by cgroups and rlimits. */
    LOCAL,
    /**
     * No isolation at all: the program runs as a plain child process of the JVM with only rlimits
     * and cgroups. Only for trusted code on a machine without bubblewrap or Docker, never for code
     * written by someone else.
     */
    UNSAFE_UNSANDBOXED
}
