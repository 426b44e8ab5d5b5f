package dev.cloudrun.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The JSON shape of every error the server sends: {@code {"error": {"code", "message", "field"?}}}.
 *
 * @param error the error's details
 */
public record ErrorBody(Detail error) {
    /**
     * Builds the body.
     *
     * @param code machine-readable code
     * @param message human-readable sentence
     * @param field offending field or null
     * @return the body
     */
    public static ErrorBody of(String code, String message, String field) {
        return new ErrorBody(new Detail(code, message, field));
    }

    /**
     * The error's details.
     *
     * @param code machine-readable code
     * @param message human-readable sentence
     * @param field offending field, omitted when null
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Detail(String code, String message, String field) { }
}
