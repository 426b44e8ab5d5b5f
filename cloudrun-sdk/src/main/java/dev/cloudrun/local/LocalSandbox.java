package dev.cloudrun.local;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Limits;
import dev.cloudrun.internal.Mounts;
import dev.cloudrun.spi.CacheMount;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run's workspace on this host. Layout of its folder (mode 0711, owned by the JVM's user):
 * {@code work/} is the workspace (a fresh tmpfs owned by the sandbox uid when the JVM is root),
 * {@code passwd} and {@code group} are the sandbox's account files. Files are written only here, in
 * {@link #create}, before anything untrusted has run.
 */
final class LocalSandbox implements Sandbox {
    private static final Logger LOG = LoggerFactory.getLogger(LocalSandbox.class);
    /** The uid and gid the program sees inside the sandbox. */
    static final int INNER_UID = 1000;
    /** The highest OOM-killer score, given to every sandboxed process: under host memory pressure they die first. */
    static final int OOM_SCORE_ADJ = 1000;

    private final LocalSandboxBackend backend;
    private final SandboxSpec spec;
    private final Path dir;
    private final Path work;
    private final boolean mounted;
    private final Set<LocalProcess> processes = ConcurrentHashMap.newKeySet();
    private int steps;
    private boolean closed;

    private LocalSandbox(LocalSandboxBackend backend, SandboxSpec spec, Path dir, Path work, boolean mounted) {
        this.backend = backend;
        this.spec = spec;
        this.dir = dir;
        this.work = work;
        this.mounted = mounted;
    }

    static LocalSandbox create(SandboxSpec spec, LocalSandboxBackend backend) {
        Path dir = backend.instanceDir().resolve(spec.runId());
        Path work = dir.resolve("work");
        boolean root = backend.tools().root();
        boolean mounted = false;
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            Files.createDirectory(work, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (root) {
                int uid = backend.options().sandboxUid();
                Mounts.mountTmpfs(work, spec.workspaceBytes(), uid, uid, "0700");
                mounted = true;
            }
            writeAccounts(dir);
            writeFiles(work, spec.files(), spec.executables(), root ? backend.options().sandboxUid() : -1);
        } catch (IOException | RuntimeException e) {
            new LocalSandbox(backend, spec, dir, work, mounted).removeFolder();
            throw new CloudRunException("cannot prepare the sandbox workspace: " + e.getMessage(), e);
        }
        return new LocalSandbox(backend, spec, dir, work, mounted);
    }

    private static void writeAccounts(Path dir) throws IOException {
        Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\n"
                + "runner:x:" + INNER_UID + ":" + INNER_UID + ":runner:/work:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("group"), "root:x:0:\nrunner:x:" + INNER_UID + ":\nnogroup:x:65534:\n",
                StandardCharsets.UTF_8);
        for (String name : List.of("passwd", "group")) {
            Files.setPosixFilePermissions(dir.resolve(name), PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    private static void writeFiles(Path work, Map<String, byte[]> files, java.util.Set<String> executables, int ownerUid) throws IOException {
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path target = work;
            String[] segments = file.getKey().split("/");
            for (int i = 0; i < segments.length - 1; i++) {
                target = target.resolve(segments[i]);
                if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectory(target, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwxr-xr-x")));
                    chown(target, ownerUid);
                }
            }
            target = target.resolve(segments[segments.length - 1]);
            Files.write(target, file.getValue(), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
                    executables.contains(file.getKey()) ? "rwxr-xr-x" : "rw-r--r--"));
            chown(target, ownerUid);
        }
    }

    private static void chown(Path path, int uid) throws IOException {
        if (uid >= 0) {
            Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
        }
    }

    @Override
    public synchronized SandboxProcess start(StepSpec step, OutputSink sink) {
        if (closed) {
            throw new CloudRunException("the sandbox is closed");
        }
        String stepName = spec.runId() + "-" + (++steps) + "-" + step.kind().name().toLowerCase(java.util.Locale.ROOT);
        Cgroup cgroup = null;
        Runnable releaseNetwork = () -> { };
        try {
            if (step.network() && backend.sandboxed()) {
                releaseNetwork = backend.prepareNetwork(step);
            }
            if (backend.cgroups().isPresent()) {
                cgroup = backend.cgroups().get().create(stepName, step.limits());
            }
            List<String> command = command(step, cgroup);
            ProcessBuilder builder = new ProcessBuilder(command).directory(backend.sandboxed() ? dir.toFile() : work.toFile());
            builder.environment().clear();
            if (!backend.sandboxed()) {
                builder.environment().putAll(environment(step));
            }
            Runnable release = releaseNetwork;
            LocalProcess process = LocalProcess.start(builder, cgroup, sink, backend.ioThreads(), exited -> {
                processes.remove(exited);
                release.run();
            });
            processes.add(process);
            return process;
        } catch (IOException | RuntimeException e) {
            releaseNetwork.run();
            if (cgroup != null) {
                cgroup.destroy();
            }
            throw new CloudRunException("cannot start the sandbox: " + e.getMessage(), e);
        }
    }

    private List<String> command(StepSpec step, Cgroup cgroup) {
        Limits limits = step.limits();
        List<String> command = new ArrayList<>();
        // A shell raises its OOM score to the highest (children inherit it; raising needs no privilege), so the
        // kernel kills sandboxes first when the host runs out of memory; when root, it joins the cgroups too.
        // It then execs the rest: everything after is scored and limited from its first instruction.
        command.addAll(List.of("/bin/sh", "-c",
                "{ echo " + OOM_SCORE_ADJ + " > /proc/self/oom_score_adj; } 2>/dev/null; "
                        + "for f do [ \"$f\" = -- ] && break; echo $$ > \"$f\" || exit 125; shift; done; shift; exec \"$@\"",
                "cloudrun-join"));
        if (cgroup != null) {
            cgroup.procsFiles().forEach(file -> command.add(file.toString()));
        }
        command.add("--");
        long cpuSeconds = Math.max(1, (limits.cpuTime().toMillis() + 999) / 1000) + 1;
        command.add(backend.tools().prlimit());
        command.add("--cpu=" + cpuSeconds + ":" + (cpuSeconds + 1));
        command.add("--fsize=" + limits.maxFileSizeBytes());
        command.add("--nofile=" + limits.maxOpenFiles());
        command.add("--core=0");
        command.add("--stack=" + limits.stackBytes());
        if (cgroup == null) {
            command.add("--nproc=" + (HostTools.tasksOfCurrentUser() + limits.maxProcesses()));
        }
        command.add("--");
        command.addAll(backend.tools().userSwitch(backend.options().sandboxUid()));
        if (backend.sandboxed()) {
            if (backend.seccompFilter() != null) {
                // bwrap reads the seccomp program from a file descriptor: open it as fd 3 for it.
                command.addAll(List.of("/bin/sh", "-c", "exec 3<\"$0\" && exec \"$@\"", backend.seccompFilter().toString()));
            }
            command.addAll(bwrapArguments(step));
        }
        // Innermost, inside bubblewrap: the program itself gets the merged pipe, bwrap's own errors stay on stderr.
        command.addAll(step.commandWithRedirections());
        return command;
    }

    private List<String> bwrapArguments(StepSpec step) {
        List<String> args = new ArrayList<>(List.of(backend.tools().bwrap(),
                "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
                "--unshare-user", "--disable-userns",
                "--uid", Integer.toString(INNER_UID), "--gid", Integer.toString(INNER_UID), "--hostname", "sandbox",
                "--ro-bind", "/usr", "/usr"));
        for (String top : List.of("bin", "lib", "lib32", "lib64", "libx32", "sbin")) {
            Path host = Path.of("/" + top);
            if (Files.isSymbolicLink(host)) {
                try {
                    args.addAll(List.of("--symlink", Files.readSymbolicLink(host).toString(), "/" + top));
                } catch (IOException e) {
                    throw new CloudRunException("cannot read the host's /" + top + " link", e);
                }
            } else if (Files.isDirectory(host)) {
                args.addAll(List.of("--ro-bind", "/" + top, "/" + top));
            }
        }
        for (String entry : backend.options().etcEntries()) {
            args.addAll(List.of("--ro-bind-try", "/etc/" + entry, "/etc/" + entry));
        }
        args.addAll(List.of("--ro-bind", dir.resolve("passwd").toString(), "/etc/passwd",
                "--ro-bind", dir.resolve("group").toString(), "/etc/group"));
        if (step.network()) {
            args.addAll(List.of("--share-net", "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf"));
        }
        // bubblewrap's init is pid 1 and runs outside the seccomp filter: /proc/1/mem would let a
        // program write its code (an access ptrace's refusal does not cover), so /proc/1 is an empty folder.
        args.addAll(List.of("--proc", "/proc", "--perms", "0555", "--size", "4096", "--tmpfs", "/proc/1", "--dev", "/dev",
                "--size", Long.toString(spec.workspaceBytes()), "--tmpfs", "/tmp",
                "--bind", work.toString(), "/work", "--chdir", "/work"));
        for (CacheMount mount : step.cacheMounts()) {
            Path folder = backend.packageCaches().folder(mount.cacheKey());
            args.addAll(List.of(mount.writable() ? "--bind" : "--ro-bind", folder.toString(), mount.path()));
        }
        args.addAll(List.of("--remount-ro", "/"));
        if (backend.seccompFilter() != null) {
            args.addAll(List.of("--seccomp", "3"));
        }
        environment(step).forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
        args.add("--");
        return args;
    }

    private Map<String, String> environment(StepSpec step) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", backend.sandboxed() ? "/work" : work.toString());
        env.put("LANG", "C.UTF-8");
        env.put("TMPDIR", backend.sandboxed() ? "/tmp" : work.toString());
        env.putAll(step.env());
        return env;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (LocalProcess process : List.copyOf(processes)) {
            process.destroy();
        }
        removeFolder();
        backend.closed(this);
    }

    private void removeFolder() {
        if (mounted) {
            Mounts.unmount(work);
        }
        try {
            SafeDelete.tree(dir);
        } catch (IOException e) {
            LOG.warn("could not remove sandbox folder {}: {}", dir, e.toString());
        }
    }
}
