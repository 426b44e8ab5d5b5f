/**
 * A Piston API v2 compatible facade ({@code /api/v2/runtimes}, {@code /api/v2/execute}, the WebSocket
 * {@code /api/v2/connect}), switched on with {@code CLOUDRUN_COMPAT=piston}. A thin translator: Piston's
 * names (languages, versions, limits in milliseconds and bytes, stages) stay here; runs go through
 * {@link dev.cloudrun.server.runs.RunService} with CloudRun's quotas, queue and sandboxes.
 */
package dev.cloudrun.server.compat.piston;
