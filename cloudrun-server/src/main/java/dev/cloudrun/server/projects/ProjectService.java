package dev.cloudrun.server.projects;

import dev.cloudrun.server.auth.Principal;
import dev.cloudrun.server.db.Project;
import dev.cloudrun.server.db.ProjectEntry;
import dev.cloudrun.server.db.ProjectRepository;
import dev.cloudrun.server.http.ApiError;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;

/**
 * A user's projects and their files, with the limits on their number and size. Every change to a
 * project happens in one transaction, so a crash never leaves half a rename or half a folder.
 */
public final class ProjectService {
    private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]");

    private final ProjectRepository projects;
    private final Clock clock;
    private final long maxFileBytes;
    private final int maxFiles;
    private final long maxProjectBytes;
    private final int maxProjects;

    /**
     * Creates the service.
     *
     * @param projects the store
     * @param clock the time source
     * @param maxFileBytes the largest file
     * @param maxFiles most files and folders in a project
     * @param maxProjectBytes largest total size of a project
     * @param maxProjects most projects per user
     */
    public ProjectService(ProjectRepository projects, Clock clock, long maxFileBytes, int maxFiles, long maxProjectBytes,
                          int maxProjects) {
        this.projects = projects;
        this.clock = clock;
        this.maxFileBytes = maxFileBytes;
        this.maxFiles = maxFiles;
        this.maxProjectBytes = maxProjectBytes;
        this.maxProjects = maxProjects;
    }

    /**
     * A project with its tree.
     *
     * @param project the project
     * @param entries its files and folders
     */
    public record ProjectTree(Project project, List<ProjectEntry> entries) { }

    /**
     * @param owner the caller
     * @return the caller's projects
     */
    public List<Project> list(Principal owner) {
        return projects.listByOwner(owner.userId());
    }

    /**
     * Creates a project.
     *
     * @param owner the caller
     * @param name a unique name among the caller's projects
     * @param language the default language, or null
     * @param entryPath the default entry file, or null
     * @param files initial files by path
     * @return the project
     */
    public ProjectTree create(Principal owner, String name, String language, String entryPath, Map<String, byte[]> files) {
        String checkedName = checkName(name);
        Map<String, byte[]> normalized = new LinkedHashMap<>();
        files.forEach((path, content) -> normalized.put(ProjectPaths.normalize(ProjectPaths.fileField(path), path), content));
        String entry = entryPath == null ? null : ProjectPaths.normalize("entry", entryPath);
        long total = 0;
        for (byte[] content : normalized.values()) {
            checkFileSize(content);
            total += content.length;
        }
        if (normalized.size() > maxFiles) {
            throw ApiError.of(413, "too_many_files", "a project holds at most " + maxFiles + " files and folders");
        }
        if (total > maxProjectBytes) {
            throw ApiError.of(413, "project_too_large", "a project holds at most " + maxProjectBytes + " bytes");
        }
        long now = clock.millis();
        Project project = new Project(UUID.randomUUID().toString(), owner.userId(), checkedName, language, entry, now, now);
        return projects.jdbi().inTransaction(handle -> {
            if (projects.countByOwner(handle, owner.userId()) >= maxProjects) {
                throw ApiError.of(409, "too_many_projects", "you may have at most " + maxProjects + " projects");
            }
            if (projects.nameTaken(handle, owner.userId(), checkedName, null)) {
                throw ApiError.badField("name_taken", "name", "you already have a project named '" + checkedName + "'");
            }
            projects.insert(handle, project);
            for (Map.Entry<String, byte[]> file : normalized.entrySet()) {
                checkNoConflict(projects.entries(handle, project.id()), file.getKey(), ProjectEntry.FILE);
                projects.put(handle, project.id(), file.getKey(), ProjectEntry.FILE, file.getValue(), now);
            }
            return new ProjectTree(project, projects.entries(handle, project.id()));
        });
    }

    /**
     * @param owner the caller
     * @param projectId the project
     * @return the project and its tree
     */
    public ProjectTree get(Principal owner, String projectId) {
        return projects.jdbi().withHandle(handle -> {
            Project project = require(handle, owner, projectId);
            return new ProjectTree(project, projects.entries(handle, projectId));
        });
    }

    /**
     * Renames a project or changes its defaults.
     *
     * @param owner the caller
     * @param projectId the project
     * @param name the new name, or null to keep it
     * @param language the new default language, or null to keep it
     * @param entryPath the new default entry, or null to keep it
     * @return the updated project
     */
    public Project update(Principal owner, String projectId, String name, String language, String entryPath) {
        String checkedName = name == null ? null : checkName(name);
        String entry = entryPath == null ? null : ProjectPaths.normalize("entry", entryPath);
        return projects.jdbi().inTransaction(handle -> {
            Project current = require(handle, owner, projectId);
            if (checkedName != null && projects.nameTaken(handle, owner.userId(), checkedName, projectId)) {
                throw ApiError.badField("name_taken", "name", "you already have a project named '" + checkedName + "'");
            }
            Project updated = new Project(current.id(), current.ownerId(), checkedName != null ? checkedName : current.name(),
                    language != null ? language : current.language(), entry != null ? entry : current.entryPath(),
                    current.createdAtMillis(), clock.millis());
            projects.update(handle, updated);
            return updated;
        });
    }

    /**
     * @param owner the caller
     * @param projectId the project
     */
    public void delete(Principal owner, String projectId) {
        if (!projects.delete(owner.userId(), projectId)) {
            throw ApiError.notFound("project");
        }
    }

    /**
     * @param owner the caller
     * @param projectId the project
     * @param rawPath the file's path
     * @return the file's bytes
     */
    public byte[] readFile(Principal owner, String projectId, String rawPath) {
        String path = ProjectPaths.normalize("path", rawPath);
        return projects.jdbi().withHandle(handle -> {
            require(handle, owner, projectId);
            return projects.content(handle, projectId, path).orElseThrow(() -> ApiError.notFound("file"));
        });
    }

    /**
     * Creates or replaces a file, creating its folders implicitly.
     *
     * @param owner the caller
     * @param projectId the project
     * @param rawPath the file's path
     * @param content the bytes, stored exactly
     * @return the stored entry
     */
    public ProjectEntry writeFile(Principal owner, String projectId, String rawPath, byte[] content) {
        String path = ProjectPaths.normalize("path", rawPath);
        checkFileSize(content);
        return projects.jdbi().inTransaction(handle -> {
            require(handle, owner, projectId);
            List<ProjectEntry> entries = projects.entries(handle, projectId);
            checkNoConflict(entries, path, ProjectEntry.FILE);
            boolean replacing = entries.stream().anyMatch(entry -> entry.path().equals(path));
            long total = content.length + entries.stream().filter(entry -> !entry.path().equals(path))
                    .mapToLong(ProjectEntry::sizeBytes).sum();
            if (!replacing && entries.size() >= maxFiles) {
                throw ApiError.of(413, "too_many_files", "a project holds at most " + maxFiles + " files and folders");
            }
            if (total > maxProjectBytes) {
                throw ApiError.of(413, "project_too_large", "a project holds at most " + maxProjectBytes + " bytes");
            }
            long now = clock.millis();
            projects.put(handle, projectId, path, ProjectEntry.FILE, content, now);
            projects.touch(handle, projectId, now);
            return new ProjectEntry(path, ProjectEntry.FILE, content.length, now);
        });
    }

    /**
     * Creates an empty folder.
     *
     * @param owner the caller
     * @param projectId the project
     * @param rawPath the folder's path
     * @return the stored entry
     */
    public ProjectEntry createFolder(Principal owner, String projectId, String rawPath) {
        String path = ProjectPaths.normalize("path", rawPath);
        return projects.jdbi().inTransaction(handle -> {
            require(handle, owner, projectId);
            List<ProjectEntry> entries = projects.entries(handle, projectId);
            checkNoConflict(entries, path, ProjectEntry.FOLDER);
            if (entries.size() >= maxFiles) {
                throw ApiError.of(413, "too_many_files", "a project holds at most " + maxFiles + " files and folders");
            }
            long now = clock.millis();
            projects.put(handle, projectId, path, ProjectEntry.FOLDER, null, now);
            projects.touch(handle, projectId, now);
            return new ProjectEntry(path, ProjectEntry.FOLDER, 0, now);
        });
    }

    /**
     * Renames or moves a file or a folder with everything in it.
     *
     * @param owner the caller
     * @param projectId the project
     * @param rawFrom the current path
     * @param rawTo the new path
     * @return how many entries moved
     */
    public int move(Principal owner, String projectId, String rawFrom, String rawTo) {
        String from = ProjectPaths.normalize("from", rawFrom);
        String to = ProjectPaths.normalize("to", rawTo);
        if (ProjectPaths.isWithin(to, from)) {
            throw ApiError.badField("invalid_path", "to", "cannot move a folder into itself");
        }
        return projects.jdbi().inTransaction(handle -> {
            require(handle, owner, projectId);
            List<ProjectEntry> entries = projects.entries(handle, projectId);
            List<ProjectEntry> moving = entries.stream().filter(entry -> ProjectPaths.isWithin(entry.path(), from)).toList();
            if (moving.isEmpty()) {
                throw ApiError.notFound("file or folder");
            }
            List<ProjectEntry> staying = new ArrayList<>(entries);
            staying.removeAll(moving);
            boolean fileMove = moving.size() == 1 && moving.get(0).path().equals(from) && moving.get(0).isFile();
            checkNoConflict(staying, to, fileMove ? ProjectEntry.FILE : ProjectEntry.FOLDER);
            staying.stream().filter(entry -> ProjectPaths.isWithin(entry.path(), to)).findFirst().ifPresent(entry -> {
                throw ApiError.of(409, "path_conflict", "'" + to + "' already exists");
            });
            long now = clock.millis();
            for (ProjectEntry entry : moving) {
                projects.move(handle, projectId, entry.path(), to + entry.path().substring(from.length()), now);
            }
            projects.touch(handle, projectId, now);
            return moving.size();
        });
    }

    /**
     * Deletes a file, or a folder with everything in it.
     *
     * @param owner the caller
     * @param projectId the project
     * @param rawPath the path
     * @return how many entries were deleted
     */
    public int deleteEntry(Principal owner, String projectId, String rawPath) {
        String path = ProjectPaths.normalize("path", rawPath);
        return projects.jdbi().inTransaction(handle -> {
            require(handle, owner, projectId);
            List<ProjectEntry> doomed = projects.entries(handle, projectId).stream()
                    .filter(entry -> ProjectPaths.isWithin(entry.path(), path)).toList();
            if (doomed.isEmpty()) {
                throw ApiError.notFound("file or folder");
            }
            doomed.forEach(entry -> projects.deleteEntry(handle, projectId, entry.path()));
            projects.touch(handle, projectId, clock.millis());
            return doomed.size();
        });
    }

    /**
     * Everything a run from a saved project needs.
     *
     * @param owner the caller
     * @param projectId the project
     * @return the project and its files' bytes by path
     */
    public Map.Entry<Project, Map<String, byte[]>> loadForRun(Principal owner, String projectId) {
        return projects.jdbi().withHandle(handle -> {
            Project project = require(handle, owner, projectId);
            return Map.entry(project, projects.allContents(handle, projectId));
        });
    }

    private Project require(Handle handle, Principal owner, String projectId) {
        return projects.find(handle, owner.userId(), projectId).orElseThrow(() -> ApiError.notFound("project"));
    }

    private void checkFileSize(byte[] content) {
        if (content.length > maxFileBytes) {
            throw ApiError.of(413, "file_too_large", "a file may hold at most " + maxFileBytes + " bytes");
        }
    }

    private static void checkNoConflict(List<ProjectEntry> entries, String path, String kind) {
        for (ProjectEntry entry : entries) {
            boolean ancestorIsFile = entry.isFile() && path.startsWith(entry.path() + "/");
            boolean hasChildren = entry.path().startsWith(path + "/");
            boolean sameFolder = entry.path().equals(path) && (!entry.isFile() || !ProjectEntry.FILE.equals(kind));
            if (ancestorIsFile || (hasChildren && ProjectEntry.FILE.equals(kind)) || sameFolder) {
                throw ApiError.of(409, "path_conflict", "'" + path + "' clashes with the existing '" + entry.path() + "'");
            }
        }
    }

    private static String checkName(String name) {
        String trimmed = name.trim();
        if (trimmed.isEmpty() || trimmed.length() > 100 || CONTROL.matcher(trimmed).find()) {
            throw ApiError.badField("invalid_field", "name", "name must be 1-100 characters without control or invisible formatting characters");
        }
        return trimmed;
    }
}
