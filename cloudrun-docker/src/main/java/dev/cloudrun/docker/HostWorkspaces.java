package dev.cloudrun.docker;

import dev.cloudrun.internal.HostUser;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.internal.OwnFolders;
import dev.cloudrun.internal.ProcessOwner;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folder of root's where the backend mounts each run's tmpfs workspace itself, to bind it into
 * the steps: only with a daemon on this host's unix socket (so it sees this host's mounts) and a
 * root JVM (which may mount). Entries are named {@code <pid>-<start>-<instance>-<volume>}, so the
 * workspaces of a crashed JVM are found, unmounted and removed at start-up.
 */
final class HostWorkspaces {
    private static final Logger LOG = LoggerFactory.getLogger(HostWorkspaces.class);

    /** What the name of an output FIFOs' folder has after its workspace's ({@link FifoStdio}). */
    private static final String FIFO_INFIX = ".io-";

    private final Path root;
    private final String prefix;

    private HostWorkspaces(Path root, String prefix) {
        this.root = root;
        this.prefix = prefix;
    }

    /**
     * Readies the folder and sweeps it.
     *
     * @param options where the folder is, and whether it is wanted at all
     * @param endpoint the daemon
     * @param instanceId the backend instance's id, for the names of its entries
     * @return the workspaces, or null when workspaces become tmpfs volumes
     */
    static HostWorkspaces prepare(DockerBackendOptions options, DaemonEndpoint endpoint, String instanceId) {
        if (!options.hostWorkspaces() || endpoint.unixSocket() == null || !HostUser.isRoot()) {
            return null;
        }
        Path root = options.workspaceDirectory();
        try {
            if (!OwnFolders.ensure(root, 0)) {
                LOG.warn("{} is not a folder owned by root: workspaces become tmpfs volumes", root);
                return null;
            }
            sweepStale(root);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot use {} for workspaces ({}): they become tmpfs volumes", root, e.toString());
            return null;
        }
        String[] owner = ProcessOwner.label(ProcessHandle.current()).split("/");
        return new HostWorkspaces(root, owner[1] + "-" + owner[2] + "-" + instanceId.substring(0, 8) + "-");
    }

    private static void sweepStale(Path root) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String[] parts = entry.getFileName().toString().split("-", 3);
                if (parts.length == 3 && ProcessOwner.isGone(ProcessOwner.hostName() + "/" + parts[0] + "/" + parts[1])) {
                    LOG.info("removing stale CloudRun workspace {}", entry);
                    if (parts[2].contains(FIFO_INFIX)) {
                        FifoStdio.deleteQuietly(entry);
                        continue;
                    }
                    Mounts.under(entry).forEach(Mounts::unmount);
                    Files.deleteIfExists(entry);
                }
            }
        }
    }

    /** @return a new folder name for a container's output FIFOs beside its workspace (not created yet) */
    static Path fifoFolderFor(Path workspace) {
        return workspace.resolveSibling(workspace.getFileName() + FIFO_INFIX
                + java.util.UUID.randomUUID().toString().substring(0, 8));
    }

    /** @return the folder for a run's workspace (not created yet) */
    Path folderFor(String volumeName) {
        return root.resolve(prefix + volumeName);
    }

    /** @return this instance's workspace folders still present, for the leak check */
    List<String> leftovers() {
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, prefix + "*")) {
            entries.forEach(entry -> found.add("workspace " + entry));
        } catch (IOException e) {
            found.add("cannot list " + root + ": " + e);
        }
        return found;
    }
}
