package dev.cloudrun.server.projects;

/**
 * Told after the project routes changed a saved project's files (an editor's save, delete or rename),
 * so a copy of the files elsewhere (an open terminal workspace) can follow. Paths are normalised.
 */
public interface ProjectChanges {
    /** Follows nothing. */
    ProjectChanges NONE = new ProjectChanges() {
        @Override
        public void written(String projectId, String path, byte[] content) { }

        @Override
        public void deleted(String projectId, String path) { }

        @Override
        public void moved(String projectId, String from, String to) { }

        @Override
        public void removed(String projectId) { }
    };

    /**
     * @param projectId the project
     * @param path the file created or replaced
     * @param content its bytes
     */
    void written(String projectId, String path, byte[] content);

    /**
     * @param projectId the project
     * @param path the file or folder deleted, with what it held
     */
    void deleted(String projectId, String path);

    /**
     * @param projectId the project
     * @param from the old path of a file or folder
     * @param to its new path
     */
    void moved(String projectId, String from, String to);

    /** @param projectId the project, deleted with all its files */
    void removed(String projectId);
}
