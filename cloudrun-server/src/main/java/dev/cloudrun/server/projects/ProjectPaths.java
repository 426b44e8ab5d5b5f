package dev.cloudrun.server.projects;

import dev.cloudrun.server.http.ApiError;
import java.util.regex.Pattern;

/**
 * Normalises file paths inside a project and refuses any that could leave it: no absolute paths,
 * no {@code ..}, no empty or {@code .} segments, no backslashes, control or reserved characters,
 * no invisible format characters (the bidi controls U+202A-U+202E and U+2066-U+2069 that make a
 * name read differently from what it is, zero-width characters, line separators), no U+FFFD (what
 * an invalid encoding such as an overlong {@code %c0%ae} decodes to), no
 * percent-encoded separators left over from a URL, in the {@code %2e} or the {@code %u002e} form.
 * Errors name the field and never quote more than {@value ApiError#MAX_SHOWN} characters of a path. Files live in the database, never as host
 * paths, so there are no symlinks to follow; the sandbox writes them as plain files.
 */
public final class ProjectPaths {
    private static final Pattern FORBIDDEN = Pattern.compile("[\\p{Cc}\\\\:*?\"<>|]");
    private static final Pattern INVISIBLE = Pattern.compile("[\\p{Cf}\\p{Zl}\\p{Zp}\\x{FFF9}-\\x{FFFB}\\x{FFFD}\\x{FFFE}\\x{FFFF}]");
    private static final Pattern ENCODED = Pattern.compile("%(2e|2f|5c|00|u[0-9a-f]{4})", Pattern.CASE_INSENSITIVE);
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
            throw invalid(field, "the path holds a percent-encoded '.', '/', '\\' or NUL, or a %u escape");
        }
        if (INVISIBLE.matcher(path).find()) {
            throw invalid(field, "the path holds an invisible formatting character (such as a right-to-left override"
                    + " or a zero-width space) or a character that was not validly encoded");
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

    /**
     * The name of the request field holding a file given by path, with the path cut short.
     *
     * @param path the path as given
     * @return {@code files[PATH]}
     */
    public static String fileField(String path) {
        return "files[" + ApiError.shown(path) + "]";
    }

    /**
     * A file path taken from a request's URL, where a malformed escape is the client's error.
     *
     * @param ctx the request
     * @param name the path parameter
     * @return the decoded value
     * @throws ApiError 400 {@code invalid_path} naming the parameter
     */
    public static String pathParam(io.javalin.http.Context ctx, String name) {
        try {
            return ctx.pathParam(name);
        } catch (IllegalArgumentException e) {
            throw invalid(name, "the path is not validly percent-encoded");
        }
    }

    private static ApiError invalid(String field, String problem) {
        return ApiError.badField("invalid_path", field, problem);
    }
}
