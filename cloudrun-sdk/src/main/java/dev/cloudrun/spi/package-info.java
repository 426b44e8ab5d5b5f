/**
 * The service-provider interface every sandbox backend implements: a {@link dev.cloudrun.spi.SandboxBackend}
 * opens one {@link dev.cloudrun.spi.Sandbox} per run, which starts the compile and run steps as
 * {@link dev.cloudrun.spi.SandboxProcess}es. {@link dev.cloudrun.CodeRunner} does everything else
 * (validation, queueing, limits on time and output, classification, listeners), so a backend only
 * isolates and measures. Every backend must pass the test kit in the SDK's test-jar
 * ({@code dev.cloudrun.tck.SandboxBackendTck}).
 */
package dev.cloudrun.spi;
