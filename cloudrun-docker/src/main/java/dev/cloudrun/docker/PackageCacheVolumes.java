package dev.cloudrun.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.internal.FolderSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Package caches as Docker volumes, one per cache key ({@code cloudrun-pkg-} plus a readable part
 * and a hash). A run-private cache carries the backend instance's labels, so the leak check and the
 * stale sweep see it; a named one only the backend and cache labels, so that it outlives this process.
 */
final class PackageCacheVolumes {
    private final DockerClient client;
    private final DaemonEndpoint endpoint;
    private final DockerJanitor janitor;
    private final Function<String, Map<String, String>> runLabels;

    /**
     * @param runLabels the labels of a run's objects, by run id
     */
    PackageCacheVolumes(DockerClient client, DaemonEndpoint endpoint, DockerJanitor janitor,
                        Function<String, Map<String, String>> runLabels) {
        this.client = client;
        this.endpoint = endpoint;
        this.janitor = janitor;
        this.runLabels = runLabels;
    }

    /** @return the name of the volume that holds a cache, created when missing */
    String volume(String cacheKey) {
        String name = volumeName(cacheKey);
        Map<String, String> labels = new HashMap<>();
        if (cacheKey.startsWith("run:")) {
            labels.putAll(runLabels.apply(cacheKey.split(":")[1]));
        } else {
            labels.put(DockerSandboxBackend.LABEL_BACKEND, "docker");
        }
        labels.put(DockerSandboxBackend.LABEL_PACKAGE_CACHE, cacheKey);
        try {
            client.inspectVolumeCmd(name).exec();
        } catch (NotFoundException missing) {
            try {
                client.createVolumeCmd().withName(name).withLabels(labels).exec();
            } catch (RuntimeException e) {
                throw new CloudRunException("cannot create the package cache volume " + name + ": " + endpoint.explain(e), e);
            }
        }
        return name;
    }

    static String volumeName(String cacheKey) {
        String readable = cacheKey.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]", "-");
        if (readable.length() > 60) {
            readable = readable.substring(0, 60);
        }
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(cacheKey.getBytes(StandardCharsets.UTF_8));
            return "cloudrun-pkg-" + readable + "-" + HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Adds up the sizes in the cache volume without following links, when the volume's folder is
     * readable from here (a daemon on this host); otherwise the size is unknown and 0 is returned.
     */
    long sizeBytes(String cacheKey) {
        String mountpoint;
        try {
            mountpoint = client.inspectVolumeCmd(volumeName(cacheKey)).exec().getMountpoint();
        } catch (NotFoundException e) {
            return 0;
        }
        Path folder = mountpoint == null ? null : Path.of(mountpoint);
        if (folder == null || !Files.isReadable(folder)) {
            return 0;
        }
        try {
            return FolderSize.bytes(folder);
        } catch (IOException e) {
            return 0;
        }
    }

    void clear(String cacheKey) {
        janitor.removeVolume(volumeName(cacheKey));
    }
}
