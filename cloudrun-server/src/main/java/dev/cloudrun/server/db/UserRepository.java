package dev.cloudrun.server.db;

import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.RowMapper;

/** Stores users. Usernames are unique ignoring case; e-mail addresses are stored lower-cased. */
public final class UserRepository {
    private static final String COLUMNS = "id, username, email, password_hash, guest, created_at";
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
     * @return false if the username or e-mail is taken (nothing inserted)
     */
    public boolean insert(User user) {
        return jdbi.inTransaction(handle -> {
            if (user.username() != null && taken(handle, user.username(), user.email(), user.id())) {
                return false;
            }
            handle.createUpdate("INSERT INTO users (id, username, username_key, email, password_hash, guest, created_at)"
                            + " VALUES (:id, :username, :usernameKey, :email, :passwordHash, :guest, :createdAt)")
                    .bind("id", user.id())
                    .bind("username", user.username())
                    .bind("usernameKey", key(user.username()))
                    .bind("email", user.email())
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
     * @return false if the username or e-mail is taken or the user is not a guest
     */
    public boolean upgradeGuest(String guestId, String username, String email, String passwordHash, long nowMillis) {
        return jdbi.inTransaction(handle -> {
            if (taken(handle, username, email, guestId)) {
                return false;
            }
            return handle.createUpdate("UPDATE users SET username = :username, username_key = :usernameKey, email = :email,"
                            + " password_hash = :passwordHash, guest = 0, upgraded_at = :now WHERE id = :id AND guest = 1")
                    .bind("username", username)
                    .bind("usernameKey", key(username))
                    .bind("email", email)
                    .bind("passwordHash", passwordHash)
                    .bind("now", nowMillis)
                    .bind("id", guestId)
                    .execute() == 1;
        });
    }

    private static boolean taken(org.jdbi.v3.core.Handle handle, String username, String email, String exceptId) {
        return handle.createQuery("SELECT COUNT(*) FROM users WHERE (username_key = :usernameKey OR email = :email) AND id <> :id")
                .bind("usernameKey", key(username))
                .bind("email", email)
                .bind("id", exceptId)
                .mapTo(Integer.class)
                .one() > 0;
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
        return jdbi.withHandle(handle -> handle.createQuery("SELECT " + COLUMNS + " FROM users WHERE " + column + " = :value")
                .bind("value", key(identifier)).map(MAPPER).findOne());
    }

    private static String key(String value) {
        return value == null ? null : value.toLowerCase(java.util.Locale.ROOT);
    }
}
