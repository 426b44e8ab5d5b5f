package dev.cloudrun.server.ai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A validated {@code POST /api/ai/assist} body.
 *
 * @param action what to do
 * @param language the program's language id (as the IDE names it: {@code python}, {@code cpp}, ...)
 * @param code the program
 * @param error the error message, or "" when none
 * @param output the last run's output (its tail), or "" when none
 */
record AiRequest(AiAction action, String language, String code, String error, String output) {
    static final int MAX_CODE_BYTES = 64 * 1024;
    static final int MAX_ERROR_BYTES = 16 * 1024;
    static final int MAX_OUTPUT_BYTES = 16 * 1024;
    private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z0-9+#._-]{1,32}");

    /**
     * Reads and checks a request body.
     *
     * @param body the JSON object
     * @return the request
     * @throws ApiError 400 naming the field that is missing, invalid or too large
     */
    static AiRequest parse(JsonNode body) {
        String actionName = Json.requiredText(body, "action");
        AiAction action = AiAction.fromWire(actionName).orElseThrow(() -> ApiError.badField("invalid_field", "action",
                "action must be one of " + AiAction.wireNames() + ", was '" + abbreviate(actionName) + "'"));
        String language = Json.requiredText(body, "language").strip();
        if (!LANGUAGE.matcher(language).matches()) {
            throw ApiError.badField("invalid_field", "language", "language must be a language id such as python or cpp");
        }
        String code = capped(body, "code", MAX_CODE_BYTES, true);
        if (code.isBlank()) {
            throw ApiError.badField("missing_field", "code", "code is empty");
        }
        String error = capped(body, "error", MAX_ERROR_BYTES, false);
        String output = capped(body, "output", MAX_OUTPUT_BYTES, false);
        if (action.needsError() && error.isBlank() && output.isBlank()) {
            throw ApiError.badField("missing_field", "error",
                    action.wireName() + " needs the error message (error) or the failing run's output (output)");
        }
        return new AiRequest(action, language, code, error, output);
    }

    private static String capped(JsonNode body, String field, int maxBytes, boolean required) {
        String value = required ? Json.requiredText(body, field) : Json.optionalText(body, field).orElse("");
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxBytes) {
            throw ApiError.badField("field_too_large", field, field + " is " + bytes + " bytes; the limit is " + maxBytes
                    + " bytes" + (required ? "" : " (send the last part)"));
        }
        return value;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
