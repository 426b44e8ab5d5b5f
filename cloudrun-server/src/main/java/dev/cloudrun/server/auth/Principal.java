package dev.cloudrun.server.auth;

/**
 * The authenticated caller of a request.
 *
 * @param userId the user's id
 * @param username the username, null for a guest
 * @param guest whether the caller is a guest
 */
public record Principal(String userId, String username, boolean guest) { }
