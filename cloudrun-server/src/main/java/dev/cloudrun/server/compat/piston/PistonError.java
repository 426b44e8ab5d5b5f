package dev.cloudrun.server.compat.piston;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** A refusal answered the way Piston answers one: the status and {@code {"message": ...}}. */
final class PistonError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final Duration retryAfter;

    PistonError(int status, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    /**
     * @param message Piston's sentence
     * @return a 400
     */
    static PistonError badRequest(String message) {
        return new PistonError(400, message, null);
    }

    int status() {
        return status;
    }

    Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }

    Map<String, Object> body() {
        return Map.of("message", getMessage());
    }
}
