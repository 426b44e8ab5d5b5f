package dev.cloudrun.server.keys;

import dev.cloudrun.server.http.ApiError;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What an API key may do. */
public enum ApiKeyScope {
    /** Problems and submissions: {@code /api/problems}, {@code /api/submissions}. */
    GRADE,
    /** Single runs: {@code POST /api/runs}. */
    RUN;

    /** @return the name in the API: {@code grade}, {@code run} */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text a scope's API name
     * @param field the field it came from, for the error
     * @return the scope
     * @throws ApiError 400 naming the field for an unknown scope
     */
    public static ApiKeyScope parse(String text, String field) {
        for (ApiKeyScope scope : values()) {
            if (scope.wireName().equals(text)) {
                return scope;
            }
        }
        throw ApiError.badField("invalid_field", field, "unknown scope " + ApiError.shown(text) + "; the scopes are "
                + Arrays.stream(values()).map(ApiKeyScope::wireName).collect(Collectors.joining(", ")));
    }
}
