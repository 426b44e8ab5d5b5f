package dev.cloudrun.server.db;

import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/**
 * Stores users. Usernames are unique ignoring case; e-mail addresses are stored lower-cased. An
 * account's login e-mail ({@code email}) is unique too, but an account registered with an address
 * that another account already signs in with keeps it only as its contact address
 * ({@code contact_email}): registering never tells whether an address has an account.
 */
public final class UserRepository {
    private static final String COLUMNS = "id, username, COALESCE(contact_email, email) AS email, password_hash, guest,"
            + " created_at";
    private static final RowMapper<User> MAPPER = (rs, ctx) -> new User(rs.getString("id"), rs.getString("username"),
            rs.getString("email"), rs.getString("password_hash"), rs.getInt("guest") != 0, rs.getLong("created_at"));

    private final Jdbi jdbi;

    /**
     * Creates the repository.
     *
     * @param jdbi the database
     */
    public UserRepository(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Inserts a user.
     *
     * @param user the user
     * @return false if the username is taken (nothing inserted)
     */
    public boolean insert(User user) {
        return jdbi.inTransaction(handle -> {
            if (user.username() != null && usernameTaken(handle, user.username(), user.id())) {
                return false;
            }
            handle.createUpdate("INSERT INTO users (id, username, username_key, email, contact_email, password_hash, guest,"
                            + " created_at) VALUES (:id, :username, :usernameKey, :email, :contactEmail, :passwordHash, :guest,"
                            + " :createdAt)")
                    .bind("id", user.id())
                    .bind("username", user.username())
                    .bind("usernameKey", key(user.username()))
                    .bind("email", loginEmail(handle, user.email(), user.id()))
                    .bind("contactEmail", user.email())
                    .bind("passwordHash", user.passwordHash())
                    .bind("guest", user.guest() ? 1 : 0)
                    .bind("createdAt", user.createdAtMillis())
                    .execute();
            return true;
        });
    }

    /**
     * Turns a guest into an account, keeping its id and so its projects and history.
     *
     * @param guestId the guest's id
     * @param username the chosen username
     * @param email the e-mail address (lower-cased)
     * @param passwordHash the encoded hash
     * @param nowMillis the time
     * @return false if the username is taken or the user is not a guest
     */
    public boolean upgradeGuest(String guestId, String username, String email, String passwordHash, long nowMillis) {
        return jdbi.inTransaction(handle -> {
            if (usernameTaken(handle, username, guestId)) {
                return false;
            }
            return handle.createUpdate("UPDATE users SET username = :username, username_key = :usernameKey, email = :email,"
                            + " contact_email = :contactEmail, password_hash = :passwordHash, guest = 0, upgraded_at = :now"
                            + " WHERE id = :id AND guest = 1")
                    .bind("username", username)
                    .bind("usernameKey", key(username))
                    .bind("email", loginEmail(handle, email, guestId))
                    .bind("contactEmail", email)
                    .bind("passwordHash", passwordHash)
                    .bind("now", nowMillis)
                    .bind("id", guestId)
                    .execute() == 1;
        });
    }

    private static boolean usernameTaken(org.jdbi.v3.core.Handle handle, String username, String exceptId) {
        return handle.createQuery("SELECT COUNT(*) FROM users WHERE username_key = :usernameKey AND id <> :id")
                .bind("usernameKey", key(username))
                .bind("id", exceptId)
                .mapTo(Integer.class)
                .one() > 0;
    }

    /** The address as a login e-mail, or null when another account signs in with it already. */
    private static String loginEmail(org.jdbi.v3.core.Handle handle, String email, String exceptId) {
        if (email == null) {
            return null;
        }
        boolean taken = handle.createQuery("SELECT COUNT(*) FROM users WHERE email = :email AND id <> :id")
                .bind("email", email)
                .bind("id", exceptId)
                .mapTo(Integer.class)
                .one() > 0;
        return taken ? null : email;
    }

    /**
     * Finds the user of a token that has not been revoked.
     *
     * @param id the user's id
     * @param tokenId the token's id
     * @return the user, empty if there is none or the token was revoked
     */
    public Optional<User> findByToken(String id, String tokenId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM users WHERE id = :id"
                        + " AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE token_id = :tokenId)")
                .bind("id", id).bind("tokenId", tokenId).map(MAPPER).findOne());
    }

    /**
     * Revokes a token until it expires.
     *
     * @param tokenId the token's id
     * @param userId its user
     * @param expiresAtMillis when it expires anyway (the entry can go then)
     */
    public void revokeToken(String tokenId, String userId, long expiresAtMillis) {
        jdbi.useHandle(handle -> handle.createUpdate("INSERT INTO revoked_tokens (token_id, user_id, expires_at)"
                        + " VALUES (:tokenId, :userId, :expiresAt) ON CONFLICT (token_id) DO NOTHING")
                .bind("tokenId", tokenId).bind("userId", userId).bind("expiresAt", expiresAtMillis).execute());
    }

    /**
     * Forgets revocations of tokens that have expired anyway.
     *
     * @param nowMillis the time
     * @return how many were forgotten
     */
    public int purgeExpiredRevocations(long nowMillis) {
        return jdbi.withHandle(handle -> handle.createUpdate("DELETE FROM revoked_tokens WHERE expires_at < :now")
                .bind("now", nowMillis).execute());
    }

    /**
     * Deletes guests that have been idle since a cutoff: created before it, with no project saved
     * and no run started since. Their projects, files and run history go with them (foreign keys
     * cascade).
     *
     * @param cutoffMillis the cutoff, epoch milliseconds
     * @return how many guests were deleted
     */
    public int deleteIdleGuests(long cutoffMillis) {
        return jdbi.withHandle(handle -> handle.createUpdate("DELETE FROM users WHERE guest = 1 AND created_at < :cutoff"
                        + " AND NOT EXISTS (SELECT 1 FROM projects p WHERE p.owner_id = users.id AND p.updated_at >= :cutoff)"
                        + " AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.user_id = users.id AND r.started_at >= :cutoff)")
                .bind("cutoff", cutoffMillis).execute());
    }

    /**
     * Finds a user by id.
     *
     * @param id the id
     * @return the user
     */
    public Optional<User> findById(String id) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM users WHERE id = :id")
                .bind("id", id).map(MAPPER).findOne());
    }

    /**
     * Finds an account by username (any case) or e-mail address.
     *
     * @param identifier a username, or an address containing {@code @}
     * @return the account
     */
    public Optional<User> findByLogin(String identifier) {
        String column = identifier.contains("@") ? "email" : "username_key";
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM users WHERE users." + column + " = :value")
                .bind("value", key(identifier)).map(MAPPER).findOne());
    }

    private static String key(String value) {
        return value == null ? null : value.toLowerCase(java.util.Locale.ROOT);
    }
}
