package dev.cloudrun.server.projects;

import dev.cloudrun.server.http.ApiError;
import java.util.regex.Pattern;

/**
 * Normalises file paths inside a project and refuses any that could leave it: no absolute paths,
 * no {@code ..}, no empty or {@code .} segments, no backslashes, control or reserved characters,
 * no percent-encoded separators left over from a URL. Files live in the database, never as host
 * paths, so there are no symlinks to follow; the sandbox writes them as plain files.
 */
public final class ProjectPaths {
    private static final Pattern FORBIDDEN = Pattern.compile("[\\x00-\\x1f\\x7f\\\\:*?\"<>|]");
    private static final Pattern ENCODED = Pattern.compile("%(2e|2f|5c|00)", Pattern.CASE_INSENSITIVE);
    /** Longest path accepted, in characters. */
    public static final int MAX_LENGTH = 255;
    /** Deepest nesting accepted. */
    public static final int MAX_DEPTH = 16;

    private ProjectPaths() { }

    /**
     * Checks a path and returns its normal form.
     *
     * @param field the request field, for the error
     * @param path the path as given
     * @return the path with any leading {@code ./} and trailing {@code /} removed
     * @throws ApiError 400 {@code invalid_path}
     */
    public static String normalize(String field, String path) {
        if (path == null || path.isBlank()) {
            throw invalid(field, "the path is empty");
        }
        if (path.startsWith("/") || path.startsWith("~")) {
            throw invalid(field, "the path must be relative to the project");
        }
        if (ENCODED.matcher(path).find()) {
            throw invalid(field, "the path holds a percent-encoded '.', '/', '\\' or NUL");
        }
        if (FORBIDDEN.matcher(path).find()) {
            throw invalid(field, "the path holds a control character or one of \\ : * ? \" < > |");
        }
        String normalized = path;
        while (normalized.startsWith("./")) {
            normalized = normalized.substring(2);
        }
        if (normalized.endsWith("/")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        if (normalized.length() > MAX_LENGTH) {
            throw invalid(field, "the path is longer than " + MAX_LENGTH + " characters");
        }
        String[] segments = normalized.split("/", -1);
        if (segments.length > MAX_DEPTH) {
            throw invalid(field, "the path is nested deeper than " + MAX_DEPTH + " folders");
        }
        for (String segment : segments) {
            if (segment.equals("..")) {
                throw invalid(field, "the path must not contain '..'");
            }
            if (segment.isEmpty() || segment.equals(".") || segment.isBlank()) {
                throw invalid(field, "the path has an empty or '.' segment");
            }
        }
        return normalized;
    }

    /**
     * @param path a normalised path
     * @param ancestor another normalised path
     * @return whether {@code path} is {@code ancestor} or lies inside it
     */
    public static boolean isWithin(String path, String ancestor) {
        return path.equals(ancestor) || path.startsWith(ancestor + "/");
    }

    private static ApiError invalid(String field, String problem) {
        return ApiError.badField("invalid_path", field, problem);
    }
}
