package dev.cloudrun.server.config;

import dev.cloudrun.BackendKind;
import java.time.Duration;
import java.util.Optional;

/**
 * The sandbox and the limits of a run.
 *
 * @param backend which sandbox backend to use ({@code CLOUDRUN_BACKEND})
 * @param dockerRuntime the Docker runtime of the containers, such as {@code runsc} for gVisor
 *     ({@code CLOUDRUN_DOCKER_RUNTIME}); empty for the daemon's default. Set, the backend is Docker
 * @param maxConcurrentRuns runs executing at once on the server ({@code CLOUDRUN_MAX_CONCURRENT_RUNS})
 * @param defaultWallTime the wall-clock limit of a run that asks for none ({@code CLOUDRUN_WALL_TIME_SECONDS})
 * @param maxWallTime the largest wall-clock (and CPU) limit a run may ask for ({@code CLOUDRUN_MAX_WALL_TIME_SECONDS},
 *     at least the default)
 * @param defaultMemoryBytes the memory limit of a run that asks for none ({@code CLOUDRUN_MEMORY_MB})
 * @param maxMemoryBytes the largest memory limit a run may ask for ({@code CLOUDRUN_MAX_MEMORY_MB}, at least the default)
 * @param maxOutputBytes the largest output a run may produce ({@code CLOUDRUN_MAX_OUTPUT_MB})
 * @param runDeadline after this any run is cancelled, whatever its limits ({@code CLOUDRUN_RUN_DEADLINE_SECONDS})
 * @param allowUnfencedNetwork whether installs and runs with network may go ahead where the sandbox cannot be fenced
 *     off this host and private networks ({@code CLOUDRUN_ALLOW_UNFENCED_NETWORK})
 * @param compileCacheBytes the most the compile cache holds, 0 for none ({@code CLOUDRUN_COMPILE_CACHE_MB})
 */
public record SandboxSettings(BackendKind backend, Optional<String> dockerRuntime, int maxConcurrentRuns, Duration defaultWallTime, Duration maxWallTime,
        long defaultMemoryBytes, long maxMemoryBytes, long maxOutputBytes, Duration runDeadline, boolean allowUnfencedNetwork,
        long compileCacheBytes) {
    private static final long MIB = 1024L * 1024L;

    static SandboxSettings from(SettingValues values) {
        int wallSeconds = values.get(Settings.WALL_TIME_SECONDS);
        int memoryMb = values.get(Settings.MEMORY_MB);
        BackendKind backend = values.get(Settings.BACKEND);
        Optional<String> dockerRuntime = values.get(Settings.DOCKER_RUNTIME);
        if (dockerRuntime.isPresent() && backend != BackendKind.AUTO && backend != BackendKind.DOCKER) {
            throw new ServerConfigException(Settings.DOCKER_RUNTIME.name() + " is a Docker runtime, but "
                    + Settings.BACKEND.name() + " is " + backend.name().toLowerCase(java.util.Locale.ROOT)
                    + ": set it to docker (or auto), or unset " + Settings.DOCKER_RUNTIME.name());
        }
        return new SandboxSettings(backend, dockerRuntime, values.get(Settings.MAX_CONCURRENT_RUNS),
                Duration.ofSeconds(wallSeconds),
                Duration.ofSeconds(Math.max(wallSeconds, values.get(Settings.MAX_WALL_TIME_SECONDS))),
                memoryMb * MIB,
                Math.max(memoryMb, values.get(Settings.MAX_MEMORY_MB)) * MIB,
                values.get(Settings.MAX_OUTPUT_MB) * MIB,
                Duration.ofSeconds(values.get(Settings.RUN_DEADLINE_SECONDS)),
                values.get(Settings.ALLOW_UNFENCED_NETWORK),
                values.get(Settings.COMPILE_CACHE_MB) * MIB);
    }
}
