package dev.cloudrun.server.db;

/**
 * One file or folder of a project, without its content.
 *
 * @param path the normalised relative path
 * @param kind {@code file} or {@code folder}
 * @param sizeBytes the file's size (0 for folders)
 * @param updatedAtMillis time of the last write
 */
public record ProjectEntry(String path, String kind, long sizeBytes, long updatedAtMillis) {
    /** The kind of a file. */
    public static final String FILE = "file";
    /** The kind of an (explicitly created) folder. */
    public static final String FOLDER = "folder";

    /** @return whether this is a file */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isFile() {
        return FILE.equals(kind);
    }
}
