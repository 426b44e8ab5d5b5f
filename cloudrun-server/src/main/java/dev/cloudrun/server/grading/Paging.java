package dev.cloudrun.server.grading;

import dev.cloudrun.server.http.ApiError;
import io.javalin.http.Context;

/** The {@code limit} and {@code offset} of list endpoints. */
final class Paging {
    private Paging() { }

    static int limit(Context ctx, int fallback) {
        return Math.max(1, Math.min(500, number(ctx, "limit", fallback)));
    }

    static int offset(Context ctx) {
        return Math.max(0, number(ctx, "offset", 0));
    }

    private static int number(Context ctx, String name, int fallback) {
        String text = ctx.queryParam(name);
        if (text == null || text.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw ApiError.badField("invalid_field", name, name + " must be a whole number");
        }
    }
}
