package dev.cloudrun.internal;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.Language;
import dev.cloudrun.spi.OutputSink;
import dev.cloudrun.spi.Sandbox;
import dev.cloudrun.spi.SandboxBackend;
import dev.cloudrun.spi.SandboxProcess;
import dev.cloudrun.spi.SandboxSpec;
import dev.cloudrun.spi.StepSpec;
import dev.cloudrun.spi.WorkspaceSandbox;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The backend a workspace's run sees: the runner's backend in every respect, except that
 * {@link #open} does not make a fresh sandbox but writes the run's files into the workspace's (all of
 * them, or all but a main file that is the tree's own) and lends it out. Closing the lent sandbox kills the run's steps that still go on, never the workspace.
 * So a run in a workspace goes through the normal run lifecycle (queue, steps, supervision, result).
 */
final class WorkspaceRunBackend implements SandboxBackend {
    private final SandboxBackend backend;
    private final WorkspaceSandbox workspace;
    /** The tree's own main file, not written (null when every file of the run is written). */
    private final String treeFile;

    /**
     * @param backend the runner's backend
     * @param workspace the workspace's sandbox
     * @param treeFile a file of the run not to write, as the tree's own runs (null: write every file)
     */
    WorkspaceRunBackend(SandboxBackend backend, WorkspaceSandbox workspace, String treeFile) {
        this.backend = backend;
        this.workspace = workspace;
        this.treeFile = treeFile;
    }

    @Override
    public String name() {
        return backend.name();
    }

    @Override
    public void checkLanguage(Language language) {
        backend.checkLanguage(language);
    }

    @Override
    public String toolchain(Language language) {
        return backend.toolchain(language);
    }

    @Override
    public Sandbox open(SandboxSpec spec) {
        for (Map.Entry<String, byte[]> file : spec.files().entrySet()) {
            // Written when the run gets its slot, not when it was queued: a save meanwhile is not undone
            // by an older copy, and the tree's own main file is left as it is now.
            if (!file.getKey().equals(treeFile)) {
                workspace.write(file.getKey(), file.getValue());
            }
        }
        if (!spec.executables().isEmpty()) {
            // Compiled artefacts from the compile cache: the workspace's files are written 0644.
            throw new CloudRunException("precompiled artefacts cannot run in a workspace");
        }
        return new Lent(workspace);
    }

    @Override
    public long packageCacheBytes(String cacheKey) {
        return backend.packageCacheBytes(cacheKey);
    }

    @Override
    public void clearPackageCache(String cacheKey) {
        backend.clearPackageCache(cacheKey);
    }

    /** Does nothing: the runner's backend is the runner's to close. */
    @Override
    public void close() { }

    /** The workspace's sandbox for the span of one run. */
    private static final class Lent implements Sandbox {
        private final WorkspaceSandbox workspace;
        private final Set<SandboxProcess> steps = ConcurrentHashMap.newKeySet();

        Lent(WorkspaceSandbox workspace) {
            this.workspace = workspace;
        }

        @Override
        public SandboxProcess start(StepSpec step, OutputSink sink) {
            SandboxProcess process = workspace.start(step, sink);
            steps.add(process);
            return process;
        }

        @Override
        public void close() {
            steps.forEach(SandboxProcess::kill);
            steps.clear();
        }
    }
}
