package dev.cloudrun.server.db;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** Stores projects and their files (contents as binary columns, so any byte survives). */
public final class ProjectRepository {
    private static final String COLUMNS = "id, owner_id, name, language, entry_path, created_at, updated_at";
    private static final RowMapper<Project> PROJECT = (rs, ctx) -> new Project(rs.getString("id"), rs.getString("owner_id"),
            rs.getString("name"), rs.getString("language"), rs.getString("entry_path"), rs.getLong("created_at"),
            rs.getLong("updated_at"));
    private static final RowMapper<ProjectEntry> ENTRY = (rs, ctx) -> new ProjectEntry(rs.getString("path"),
            rs.getString("kind"), rs.getLong("size_bytes"), rs.getLong("updated_at"));

    private final Jdbi jdbi;

    /**
     * Creates the repository.
     *
     * @param jdbi the database
     */
    public ProjectRepository(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** @return the database, for multi-step changes done in one transaction */
    public Jdbi jdbi() {
        return jdbi;
    }

    /**
     * @param ownerId the owner
     * @return the owner's projects, most recently changed first
     */
    public List<Project> listByOwner(String ownerId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM projects WHERE owner_id = :owner"
                + " ORDER BY updated_at DESC, name").bind("owner", ownerId).map(PROJECT).list());
    }

    /**
     * @param handle an open handle
     * @param ownerId the owner
     * @return how many projects the owner has
     */
    public int countByOwner(Handle handle, String ownerId) {
        return handle.createQuery("SELECT COUNT(*) FROM projects WHERE owner_id = :owner").bind("owner", ownerId)
                .mapTo(Integer.class).one();
    }

    /**
     * Finds a project of an owner.
     *
     * @param ownerId the owner (a project of someone else is not found)
     * @param projectId the project
     * @return the project
     */
    public Optional<Project> find(String ownerId, String projectId) {
        return jdbi.withHandle(handle -> find(handle, ownerId, projectId));
    }

    /**
     * Finds a project of an owner inside a transaction.
     *
     * @param handle an open handle
     * @param ownerId the owner
     * @param projectId the project
     * @return the project
     */
    public Optional<Project> find(Handle handle, String ownerId, String projectId) {
        return handle.createQuery("SELECT " + COLUMNS + " FROM projects WHERE id = :id AND owner_id = :owner")
                .bind("id", projectId).bind("owner", ownerId).map(PROJECT).findOne();
    }

    /**
     * @param handle an open handle
     * @param ownerId the owner
     * @param name a name
     * @param exceptId a project to ignore (the one being renamed), or null
     * @return whether the owner already has a project with that name
     */
    public boolean nameTaken(Handle handle, String ownerId, String name, String exceptId) {
        return handle.createQuery("SELECT COUNT(*) FROM projects WHERE owner_id = :owner AND name = :name AND id <> :id")
                .bind("owner", ownerId).bind("name", name).bind("id", exceptId == null ? "" : exceptId)
                .mapTo(Integer.class).one() > 0;
    }

    /**
     * @param handle an open handle
     * @param project the project to insert
     */
    public void insert(Handle handle, Project project) {
        handle.createUpdate("INSERT INTO projects (" + COLUMNS + ") VALUES (:id, :owner, :name, :language, :entry, :created, :updated)")
                .bind("id", project.id()).bind("owner", project.ownerId()).bind("name", project.name())
                .bind("language", project.language()).bind("entry", project.entryPath())
                .bind("created", project.createdAtMillis()).bind("updated", project.updatedAtMillis())
                .execute();
    }

    /**
     * Updates a project's name, language and entry file.
     *
     * @param handle an open handle
     * @param project the new values (matched by id and owner)
     */
    public void update(Handle handle, Project project) {
        handle.createUpdate("UPDATE projects SET name = :name, language = :language, entry_path = :entry, updated_at = :updated"
                        + " WHERE id = :id AND owner_id = :owner")
                .bind("name", project.name()).bind("language", project.language()).bind("entry", project.entryPath())
                .bind("updated", project.updatedAtMillis()).bind("id", project.id()).bind("owner", project.ownerId())
                .execute();
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @param nowMillis the time
     */
    public void touch(Handle handle, String projectId, long nowMillis) {
        handle.createUpdate("UPDATE projects SET updated_at = :now WHERE id = :id").bind("now", nowMillis).bind("id", projectId).execute();
    }

    /**
     * Deletes a project and its files.
     *
     * @param ownerId the owner
     * @param projectId the project
     * @return whether it existed
     */
    public boolean delete(String ownerId, String projectId) {
        return jdbi.inTransaction(handle -> {
            if (find(handle, ownerId, projectId).isEmpty()) {
                return false;
            }
            handle.createUpdate("DELETE FROM project_files WHERE project_id = :id").bind("id", projectId).execute();
            // What its programs printed goes with it; the runs stay in the history.
            handle.createUpdate("DELETE FROM run_outputs WHERE project_id = :id AND user_id = :owner")
                    .bind("id", projectId).bind("owner", ownerId).execute();
            handle.createUpdate("DELETE FROM projects WHERE id = :id").bind("id", projectId).execute();
            return true;
        });
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @return the project's files and folders, by path
     */
    public List<ProjectEntry> entries(Handle handle, String projectId) {
        return handle.createQuery("SELECT path, kind, size_bytes, updated_at FROM project_files WHERE project_id = :id ORDER BY path")
                .bind("id", projectId).map(ENTRY).list();
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @param path a file's path
     * @return the file's bytes, empty if there is no such file
     */
    public Optional<byte[]> content(Handle handle, String projectId, String path) {
        return handle.createQuery("SELECT content FROM project_files WHERE project_id = :id AND path = :path AND kind = 'file'")
                .bind("id", projectId).bind("path", path)
                .map((rs, ctx) -> {
                    byte[] bytes = rs.getBytes("content");
                    return bytes == null ? new byte[0] : bytes;
                })
                .findOne();
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @return every file's bytes by path, in path order
     */
    public Map<String, byte[]> allContents(Handle handle, String projectId) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        handle.createQuery("SELECT path, content FROM project_files WHERE project_id = :id AND kind = 'file' ORDER BY path")
                .bind("id", projectId)
                .map((rs, ctx) -> {
                    byte[] bytes = rs.getBytes("content");
                    files.put(rs.getString("path"), bytes == null ? new byte[0] : bytes);
                    return null;
                })
                .list();
        return files;
    }

    /**
     * Inserts or replaces a file or folder.
     *
     * @param handle an open handle
     * @param projectId the project
     * @param path the normalised path
     * @param kind {@link ProjectEntry#FILE} or {@link ProjectEntry#FOLDER}
     * @param content the bytes (null for a folder)
     * @param nowMillis the time
     */
    public void put(Handle handle, String projectId, String path, String kind, byte[] content, long nowMillis) {
        handle.createUpdate("DELETE FROM project_files WHERE project_id = :id AND path = :path")
                .bind("id", projectId).bind("path", path).execute();
        handle.createUpdate("INSERT INTO project_files (project_id, path, kind, content, size_bytes, updated_at)"
                        + " VALUES (:id, :path, :kind, :content, :size, :now)")
                .bind("id", projectId).bind("path", path).bind("kind", kind)
                .bind("content", content == null ? new byte[0] : content)
                .bind("size", content == null ? 0 : content.length).bind("now", nowMillis)
                .execute();
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @param path the exact path to delete
     */
    public void deleteEntry(Handle handle, String projectId, String path) {
        handle.createUpdate("DELETE FROM project_files WHERE project_id = :id AND path = :path")
                .bind("id", projectId).bind("path", path).execute();
    }

    /**
     * @param handle an open handle
     * @param projectId the project
     * @param from the current path
     * @param to the new path
     * @param nowMillis the time
     */
    public void move(Handle handle, String projectId, String from, String to, long nowMillis) {
        handle.createUpdate("UPDATE project_files SET path = :to, updated_at = :now WHERE project_id = :id AND path = :from")
                .bind("to", to).bind("now", nowMillis).bind("id", projectId).bind("from", from).execute();
    }
}
