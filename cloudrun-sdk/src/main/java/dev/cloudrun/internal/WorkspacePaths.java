package dev.cloudrun.internal;

import dev.cloudrun.InvalidRequestException;
import java.util.regex.Pattern;

/** Validates the relative paths of files a request puts in the workspace. */
public final class WorkspacePaths {
    private static final Pattern FORBIDDEN_CHARACTERS = Pattern.compile("[\\x00-\\x1f\\x7f\\\\:*?\"<>|]");
    private static final int MAX_LENGTH = 255;
    private static final int MAX_DEPTH = 16;

    private WorkspacePaths() { }

    /**
     * Checks a path and returns its normal form.
     *
     * @param field the request field, for the error message
     * @param path the path as given
     * @return the path with no leading {@code ./}
     * @throws InvalidRequestException if the path is empty, absolute, holds {@code ..}, an empty
     *     segment, a control or reserved character, or is too long or deep
     */
    public static String normalize(String field, String path) {
        if (path == null || path.isBlank()) {
            throw new InvalidRequestException(field, "file name is empty");
        }
        if (path.startsWith("/")) {
            throw new InvalidRequestException(field, "must be a relative path, not absolute: " + path);
        }
        if (path.length() > MAX_LENGTH) {
            throw new InvalidRequestException(field, "path is longer than " + MAX_LENGTH + " characters");
        }
        if (FORBIDDEN_CHARACTERS.matcher(path).find()) {
            throw new InvalidRequestException(field, "path holds a control character or one of \\ : * ? \" < > |");
        }
        String normalized = path.startsWith("./") ? path.substring(2) : path;
        String[] segments = normalized.split("/", -1);
        if (segments.length > MAX_DEPTH) {
            throw new InvalidRequestException(field, "path is nested deeper than " + MAX_DEPTH + " folders");
        }
        for (String segment : segments) {
            if (segment.equals("..")) {
                throw new InvalidRequestException(field, "path must not contain '..': " + path);
            }
            if (segment.isEmpty() || segment.equals(".")) {
                throw new InvalidRequestException(field, "path has an empty or '.' segment: " + path);
            }
        }
        return normalized;
    }
}
