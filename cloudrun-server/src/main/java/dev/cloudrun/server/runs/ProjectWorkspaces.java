package dev.cloudrun.server.runs;

import dev.cloudrun.Workspace;
import java.util.List;
import java.util.Optional;

/**
 * The open terminal workspaces, as runs see them: a run of a project whose workspace is open runs in
 * it ({@link Workspace#startFromTree}), not in a sandbox of its own. Implemented by the terminals'
 * registry.
 */
public interface ProjectWorkspaces {

    /** No workspace is ever open (a server without terminals, and tests). */
    ProjectWorkspaces NONE = projectId -> Optional.empty();

    /**
     * Takes the project's open workspace for one run: while the lease lasts, the workspace counts as
     * busy and is not closed for being idle.
     *
     * @param projectId a project the caller was found to own
     * @return the lease, or empty if no workspace is open on the project
     */
    Optional<Lease> lease(String projectId);

    /** One run's hold on a workspace. */
    interface Lease {

        /** @return the workspace */
        Workspace workspace();

        /**
         * The run is over: what it changed in the tree is saved into the project now (and announced to
         * the project's terminals), and the workspace's idle clock starts again if nothing else goes on.
         * Idempotent.
         *
         * @return the project paths saved or deleted because the run changed them (empty the second time)
         */
        List<String> ended();
    }
}
