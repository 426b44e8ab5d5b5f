package dev.cloudrun.server.db;

/**
 * A user's project: a named tree of files.
 *
 * @param id the project's id
 * @param ownerId the owning user's id
 * @param name the name, unique per owner
 * @param language the language id runs use by default, or null
 * @param entryPath the file runs start from by default, or null
 * @param createdAtMillis creation time
 * @param updatedAtMillis time of the last change to the project or its files
 */
public record Project(String id, String ownerId, String name, String language, String entryPath,
                      long createdAtMillis, long updatedAtMillis) { }
