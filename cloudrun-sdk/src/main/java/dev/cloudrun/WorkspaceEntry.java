package dev.cloudrun;

/**
 * A file or folder of a {@link Workspace}.
 *
 * @param path its relative path, {@code /}-separated
 * @param directory whether it is a folder
 * @param size its size in bytes (0 for a folder)
 */
public record WorkspaceEntry(String path, boolean directory, long size) { }
