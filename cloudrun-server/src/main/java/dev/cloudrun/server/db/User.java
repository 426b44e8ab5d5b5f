package dev.cloudrun.server.db;

/**
 * An account, or a guest session before it is upgraded.
 *
 * @param id stable id (kept when a guest becomes an account)
 * @param username the name chosen at registration, null for guests
 * @param email the lower-cased e-mail address, null for guests
 * @param passwordHash the encoded PBKDF2 hash, null for guests
 * @param guest whether this is a guest session
 * @param createdAtMillis creation time
 */
public record User(String id, String username, String email, String passwordHash, boolean guest, long createdAtMillis) { }
