package dev.cloudrun.local;

import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.tck.HostileProgramsTck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The local bubblewrap backend against the hostile-program suite. Its sandboxes run as a uid of
 * their own, so that any process of that uid still alive on the host after a run is a leak
 * (whoever its parent, a daemon that left the JVM's process tree included).
 */
class LocalHostileProgramsTest extends HostileProgramsTck {
    private static final int SANDBOX_UID = 61_917;

    @Override
    protected SandboxBackend createBackend() {
        return LocalSandboxBackend.create(new LocalSandboxBackend.Options().sandboxUid(SANDBOX_UID));
    }

    @Override
    protected List<String> leftovers(SandboxBackend backend) {
        LocalSandboxBackend local = (LocalSandboxBackend) backend;
        List<String> found = new ArrayList<>(local.leftovers());
        if (HostTools.currentUid() == 0) {
            found.addAll(processesOf(SANDBOX_UID));
        }
        // Interpreters pre-started for the next runs are the pool's, not leftovers.
        found.removeIf(local.warmRuntimes()::owns);
        return found;
    }

    /** Processes of this host whose real uid is the given one. */
    private static List<String> processesOf(int uid) {
        List<String> found = new ArrayList<>();
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes.filter(dir -> dir.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String uidLine = Files.readAllLines(process.resolve("status")).stream()
                            .filter(line -> line.startsWith("Uid:")).findFirst().orElse("");
                    if (uidLine.split("\\s+").length > 1 && uidLine.split("\\s+")[1].equals(Integer.toString(uid))) {
                        found.add("host process " + process.getFileName() + " of uid " + uid + ": "
                                + Files.readString(process.resolve("cmdline")).replace('\0', ' ').strip());
                    }
                } catch (IOException e) {
                    // The process ended meanwhile.
                }
            }
        } catch (IOException e) {
            found.add("cannot list /proc: " + e);
        }
        return found;
    }
}
