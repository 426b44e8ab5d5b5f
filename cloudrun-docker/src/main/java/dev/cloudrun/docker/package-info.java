/**
 * The Docker sandbox backend: {@link dev.cloudrun.docker.DockerSandboxBackend} runs each step in a
 * fresh hardened container (non-root, no capabilities, no new privileges, no network, read-only
 * root, limits on memory, CPU, processes, files) from the language images built by
 * {@code images/build.sh}, with the run's files on a labelled volume mounted at {@code /work}.
 */
package dev.cloudrun.docker;
