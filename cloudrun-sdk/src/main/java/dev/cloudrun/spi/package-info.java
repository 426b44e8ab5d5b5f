/**
 * The service-provider interface every sandbox backend implements: a {@link dev.cloudrun.spi.SandboxBackend}
 * opens one {@link dev.cloudrun.spi.Sandbox} per run, which starts the compile and run steps as
 * {@link dev.cloudrun.spi.SandboxProcess}es. {@link dev.cloudrun.CodeRunner} does everything else
 * (validation, queueing, limits on time and output, classification, listeners), so a backend only
 * isolates and measures. Every backend must pass the test kits in the SDK's test-jar
 * ({@code dev.cloudrun.tck.SandboxBackendTck}, and {@code dev.cloudrun.tck.GraderTck}, which also
 * checks that {@link dev.cloudrun.spi.SandboxSpec#executables()} are honoured).
 */
package dev.cloudrun.spi;
