package dev.cloudrun.server.http;

import java.time.Duration;
import java.util.Optional;

/**
 * A failure the client caused or must know about, answered as
 * {@code {"error": {"code": ..., "message": ..., "field": ...}}} with an HTTP status. Handlers throw
 * it; {@link ErrorHandling} turns it into the response.
 */
public final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** How much of a client's value an error message quotes. */
    public static final int MAX_SHOWN = 100;

    private final int status;
    private final String code;
    private final String field;
    private final Duration retryAfter;

    private ApiError(int status, String code, String message, String field, Duration retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
        this.retryAfter = retryAfter;
    }

    /**
     * A generic error.
     *
     * @param status the HTTP status
     * @param code a stable machine-readable code such as {@code invalid_path}
     * @param message one sentence for humans
     * @return the error
     */
    public static ApiError of(int status, String code, String message) {
        return new ApiError(status, code, message, null, null);
    }

    /**
     * A 400 about one field of the request.
     *
     * @param code the error code
     * @param field the offending field
     * @param message what is wrong
     * @return the error
     */
    public static ApiError badField(String code, String field, String message) {
        return new ApiError(400, code, message, field, null);
    }

    /**
     * A 409 about one field of the request.
     *
     * @param code the error code
     * @param field the field whose value clashes
     * @param message what clashes
     * @return the error
     */
    public static ApiError conflict(String code, String field, String message) {
        return new ApiError(409, code, message, field, null);
    }

    /**
     * A 429 telling the client when to try again.
     *
     * @param code the error code
     * @param message what limit was hit
     * @param retryAfter how long to wait
     * @return the error
     */
    public static ApiError tooManyRequests(String code, String message, Duration retryAfter) {
        return new ApiError(429, code, message, null, retryAfter);
    }

    /** @return a 401 for a missing, forged or expired token */
    public static ApiError unauthorized() {
        return of(401, "unauthorized", "a valid token is required (Authorization: Bearer TOKEN)");
    }

    /**
     * A 404 that does not say whether the thing exists for someone else.
     *
     * @param what the kind of thing, such as "project"
     * @return the error
     */
    public static ApiError notFound(String what) {
        return of(404, "not_found", what + " not found");
    }

    /**
     * A value from the request, as an error message may quote it: at most {@value #MAX_SHOWN}
     * characters, control and format characters replaced, so that a huge or tricky value is not
     * sent back whole.
     *
     * @param value the value, or null
     * @return the text to show
     */
    public static String shown(String value) {
        if (value == null) {
            return "(none)";
        }
        String cut = value.length() > MAX_SHOWN ? value.substring(0, MAX_SHOWN) + "…" : value;
        return cut.replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]", "?");
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return the machine-readable code */
    public String code() {
        return code;
    }

    /** @return the offending field, if the error is about one */
    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    /** @return how long the client should wait, for 429s */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
