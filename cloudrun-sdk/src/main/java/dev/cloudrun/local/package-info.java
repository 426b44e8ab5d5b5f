/**
 * The {@code local} backend: runs each program on this host inside bubblewrap, with user, pid,
 * network, ipc and uts namespaces, cgroups for memory, processes and CPU accounting, and rlimits.
 * Entry point: {@link dev.cloudrun.local.LocalSandboxBackend}.
 */
package dev.cloudrun.local;
