package dev.cloudrun.local;

import dev.cloudrun.BackendUnavailableException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The host programs the local backend relies on, and whether the JVM is root. */
final class HostTools {
    private static final List<String> SEARCH_PATH = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
            "/usr/bin", "/sbin", "/bin");

    private final String bwrap;
    private final String prlimit;
    private final String setpriv;
    private final boolean root;
    private final boolean dashShell;

    private HostTools(String bwrap, String prlimit, String setpriv, boolean root) {
        this.bwrap = bwrap;
        this.prlimit = prlimit;
        this.setpriv = setpriv;
        this.root = root;
        this.dashShell = isDash(Path.of("/bin/sh"));
    }

    private static boolean isDash(Path shell) {
        try {
            return shell.toRealPath().getFileName().toString().equals("dash");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * @return whether {@code /bin/sh} is dash, whose {@code ulimit} units (512-byte blocks for file
     *     sizes, KiB for the stack) are known; another shell's limits are left to {@code prlimit}
     */
    boolean dashShell() {
        return dashShell;
    }

    static HostTools find(boolean needBwrap, String bwrapOverride) {
        String bwrap = null;
        if (needBwrap) {
            Optional<String> found = bwrapOverride != null
                    ? Optional.of(bwrapOverride).filter(path -> Files.isExecutable(Path.of(path)))
                    : which("bwrap");
            bwrap = found.orElseThrow(() ->
                    new BackendUnavailableException("bubblewrap (bwrap) is not installed, so the local sandbox cannot "
                            + "start. Install it: 'sudo apt-get install bubblewrap' (Debian/Ubuntu), "
                            + "'sudo dnf install bubblewrap' (Fedora), or use the Docker backend."));
        }
        String prlimit = which("prlimit").orElseThrow(() -> new BackendUnavailableException(
                "prlimit (from util-linux) is not installed: 'sudo apt-get install util-linux'"));
        boolean root = isRoot();
        String setpriv = null;
        if (root) {
            setpriv = which("setpriv").orElseThrow(() -> new BackendUnavailableException(
                    "setpriv (from util-linux) is needed to drop root before sandboxing: 'sudo apt-get install util-linux'"));
        }
        return new HostTools(bwrap, prlimit, setpriv, root);
    }

    static Optional<String> which(String name) {
        String path = System.getenv("PATH");
        List<String> dirs = new java.util.ArrayList<>(SEARCH_PATH);
        if (path != null) {
            dirs.addAll(0, List.of(path.split(":")));
        }
        return dirs.stream().filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable).map(Path::toString).findFirst();
    }

    private static boolean isRoot() {
        return currentUid() == 0;
    }

    /** @return the effective uid of this JVM */
    static int currentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new BackendUnavailableException("cannot tell this process's uid from /proc/self/status: " + e);
        }
        throw new BackendUnavailableException("cannot tell this process's uid from /proc/self/status");
    }

    /**
     * Counts the tasks (threads) that run under this JVM's uid. {@code RLIMIT_NPROC} counts all of
     * them, the JVM's own threads included, so without cgroups a step's process limit is set on top
     * of this count. An approximation: runs that start at the same time share the headroom.
     */
    static int tasksOfCurrentUser() {
        String uid = Integer.toString(currentUid());
        int tasks = 0;
        try (java.nio.file.DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path process : proc) {
                boolean mine = false;
                try {
                    for (String line : Files.readAllLines(process.resolve("status"))) {
                        if (line.startsWith("Uid:")) {
                            mine = line.split("\\s+")[1].equals(uid);
                        } else if (mine && line.startsWith("Threads:")) {
                            tasks += Integer.parseInt(line.split("\\s+")[1]);
                        }
                    }
                } catch (IOException | NumberFormatException e) {
                    // The process ended while we looked.
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return tasks;
    }

    String bwrap() {
        return bwrap;
    }

    String prlimit() {
        return prlimit;
    }

    boolean root() {
        return root;
    }

    /** @return the command prefix that drops root to the sandbox uid (empty when not root) */
    List<String> userSwitch(int uid) {
        if (!root) {
            return List.of();
        }
        return List.of(setpriv, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs",
                "--inh-caps=-all", "--bounding-set=-all", "--");
    }
}
