package dev.cloudrun.server.config;

/**
 * The size of projects.
 *
 * @param maxFileBytes the largest file a project may hold ({@code CLOUDRUN_MAX_FILE_BYTES})
 * @param maxFiles how many files and folders a project may hold ({@code CLOUDRUN_MAX_PROJECT_FILES})
 * @param maxBytes the total size of a project's files ({@code CLOUDRUN_MAX_PROJECT_BYTES})
 * @param maxProjectsPerUser how many projects one user may own ({@code CLOUDRUN_MAX_PROJECTS_PER_USER})
 */
public record ProjectSettings(long maxFileBytes, int maxFiles, long maxBytes, int maxProjectsPerUser) {

    static ProjectSettings from(SettingValues values) {
        return new ProjectSettings(values.get(Settings.MAX_FILE_BYTES), values.get(Settings.MAX_PROJECT_FILES),
                values.get(Settings.MAX_PROJECT_BYTES), values.get(Settings.MAX_PROJECTS_PER_USER));
    }
}
