package dev.cloudrun.server.compat.judge0;

import java.util.List;
import java.util.Map;

/** A refusal answered the way Judge0 answers one: its status and body ({@code {"error": ...}} or field errors). */
final class Judge0Error extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final transient Object body;

    Judge0Error(int status, Object body) {
        super(String.valueOf(body), null, false, false);
        this.status = status;
        this.body = body;
    }

    /** @return a 400 (or another status) with {@code {"error": message}} */
    static Judge0Error error(int status, String message) {
        return new Judge0Error(status, Map.of("error", message));
    }

    /** @return a 422 with Rails' {@code {"field": ["message", ...]}} */
    static Judge0Error invalid(Map<String, List<String>> errors) {
        return new Judge0Error(422, errors);
    }

    int status() {
        return status;
    }

    /** @return the body, or null for an empty one (Judge0's {@code head :unauthorized}) */
    Object body() {
        return body;
    }
}
