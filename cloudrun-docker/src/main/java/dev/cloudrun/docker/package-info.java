/**
 * The Docker sandbox backend, shipped as {@code dev.cloudrun:cloudrun-docker}:
 * {@link dev.cloudrun.docker.DockerSandboxBackend} runs each step in a fresh hardened container
 * (non-root, no capabilities, no new privileges, no network, read-only root, limits on memory, CPU,
 * processes, files) from the language images built by {@code images/build.sh}, with the run's files
 * on a tmpfs mounted at {@code /work}. {@link dev.cloudrun.docker.DockerBackendProvider} registers it
 * for {@link java.util.ServiceLoader}, so {@code BackendKind.DOCKER} and {@code AUTO} find it once the
 * jar is on the class path; {@link dev.cloudrun.docker.DockerBackendOptions} configures it when you
 * build it yourself.
 */
package dev.cloudrun.docker;
