package dev.cloudrun.server.auth;

import java.util.Optional;

/**
 * The authenticated caller of a request.
 *
 * @param userId the user's id
 * @param username the username, null for a guest
 * @param guest whether the caller is a guest
 * @param token the token the caller presented, empty for callers built without one
 */
public record Principal(String userId, String username, boolean guest, Optional<TokenService.VerifiedToken> token) {

    /**
     * A caller known without a token (tests, internal callers).
     *
     * @param userId the user's id
     * @param username the username, null for a guest
     * @param guest whether the caller is a guest
     */
    public Principal(String userId, String username, boolean guest) {
        this(userId, username, guest, Optional.empty());
    }
}
