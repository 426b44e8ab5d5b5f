package dev.cloudrun.server.auth;

import dev.cloudrun.server.db.User;
import dev.cloudrun.server.db.UserRepository;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.KeyedRateLimiter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Accounts and sessions: registration, login by username or e-mail, guest sessions and their
 * upgrade to accounts, and resolving a token to its {@link Principal}. Login is throttled per
 * account and per IP address, and its errors never say whether an account exists.
 */
public final class AuthService {
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{2,31}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
    private static final int MIN_PASSWORD = 8;
    private static final int MAX_PASSWORD = 1024;

    private final UserRepository users;
    private final PasswordHasher hasher;
    private final TokenService tokens;
    private final KeyedRateLimiter loginsPerAccount;
    private final KeyedRateLimiter loginsPerIp;
    private final KeyedRateLimiter guestsPerIp;
    private final Clock clock;

    /**
     * Creates the service.
     *
     * @param users the user store
     * @param hasher the password hasher
     * @param tokens the token service
     * @param loginsPerAccountPerMinute login attempts allowed per account per minute
     * @param loginsPerIpPerMinute login attempts allowed per IP per minute
     * @param guestsPerIpPerHour guest sessions allowed per IP per hour
     * @param clock the time source
     */
    public AuthService(UserRepository users, PasswordHasher hasher, TokenService tokens, int loginsPerAccountPerMinute,
                       int loginsPerIpPerMinute, int guestsPerIpPerHour, Clock clock) {
        this.users = users;
        this.hasher = hasher;
        this.tokens = tokens;
        this.loginsPerAccount = new KeyedRateLimiter(loginsPerAccountPerMinute, Duration.ofMinutes(1));
        this.loginsPerIp = new KeyedRateLimiter(loginsPerIpPerMinute, Duration.ofMinutes(1));
        this.guestsPerIp = new KeyedRateLimiter(guestsPerIpPerHour, Duration.ofHours(1));
        this.clock = clock;
    }

    /**
     * The result of registering, logging in or opening a guest session.
     *
     * @param token the bearer token
     * @param expiresAt when the token stops being accepted
     * @param user the user
     */
    public record Session(String token, Instant expiresAt, User user) { }

    private Session session(User user) {
        TokenService.IssuedToken issued = tokens.issue(user.id(), user.guest());
        return new Session(issued.token(), issued.expiresAt(), user);
    }

    /**
     * Creates an account.
     *
     * @param username 3-32 letters, digits, {@code _ . -}
     * @param email an e-mail address
     * @param password at least 8 characters
     * @return the new session
     * @throws ApiError {@code invalid_field} or {@code account_unavailable} (409, without saying which field clashed)
     */
    public Session register(String username, String email, String password) {
        String normalisedEmail = validateAccount(username, email, password);
        User user = new User(UUID.randomUUID().toString(), username, normalisedEmail, hasher.hash(password), false, clock.millis());
        if (!users.insert(user)) {
            throw accountUnavailable();
        }
        return session(user);
    }

    /**
     * Turns a guest session into an account; the guest's projects and history stay with it.
     *
     * @param guest the guest
     * @param username the chosen username
     * @param email the e-mail address
     * @param password the password
     * @return a new session for the account
     */
    public Session upgrade(Principal guest, String username, String email, String password) {
        if (!guest.guest()) {
            throw ApiError.of(409, "not_a_guest", "this session already belongs to an account");
        }
        String normalisedEmail = validateAccount(username, email, password);
        if (!users.upgradeGuest(guest.userId(), username, normalisedEmail, hasher.hash(password), clock.millis())) {
            throw accountUnavailable();
        }
        User user = users.findById(guest.userId()).orElseThrow(ApiError::unauthorized);
        return session(user);
    }

    /**
     * Logs in.
     *
     * @param identifier a username or an e-mail address
     * @param password the password
     * @param ip the client's address, for throttling
     * @return the new session
     * @throws ApiError 401 {@code invalid_credentials} (same for unknown accounts and wrong passwords),
     *     429 {@code login_throttled}
     */
    public Session login(String identifier, String password, String ip) {
        String account = identifier.trim().toLowerCase(Locale.ROOT);
        Optional<Duration> wait = loginsPerIp.tryAcquire(ip).or(() -> loginsPerAccount.tryAcquire(account));
        if (wait.isPresent()) {
            throw ApiError.tooManyRequests("login_throttled", "too many login attempts; try again later", wait.get());
        }
        Optional<User> user = account.isEmpty() ? Optional.empty() : users.findByLogin(account);
        String hash = user.map(User::passwordHash).orElse(null);
        if (!hasher.matches(password, hash)) {
            throw ApiError.of(401, "invalid_credentials", "wrong username, e-mail or password");
        }
        return session(user.get());
    }

    /**
     * Opens a guest session.
     *
     * @param ip the client's address, for throttling
     * @return the new session
     */
    public Session guest(String ip) {
        guestsPerIp.tryAcquire(ip).ifPresent(wait -> {
            throw ApiError.tooManyRequests("guest_throttled", "too many guest sessions from this address; try again later", wait);
        });
        User user = new User(UUID.randomUUID().toString(), null, null, null, true, clock.millis());
        users.insert(user);
        return session(user);
    }

    /**
     * Deletes guests idle for longer than the retention, with their projects and history, so that
     * abandoned guest sessions do not pile up.
     *
     * @param retention how long an idle guest is kept
     * @return how many were deleted
     */
    public int purgeIdleGuests(Duration retention) {
        return users.deleteIdleGuests(clock.millis() - retention.toMillis());
    }

    /**
     * Renews a session: a fresh token with a full lifetime for a caller whose token is still valid,
     * so that someone who keeps using the IDE is never signed out in the middle of their work.
     * Expired tokens cannot be renewed: their owner signs in again.
     *
     * @param principal the caller, authenticated by a valid token
     * @return the new session
     * @throws ApiError 401 if the account is gone
     */
    public Session refresh(Principal principal) {
        return session(user(principal));
    }

    /**
     * Resolves a bearer token to its user, who must still exist.
     *
     * @param token the token
     * @return the principal, empty if the token is forged, expired or the user is gone
     */
    public Optional<Principal> authenticate(String token) {
        return tokens.verify(token)
                .flatMap(users::findById)
                .map(user -> new Principal(user.id(), user.username(), user.guest()));
    }

    /**
     * @param principal a principal
     * @return the stored user
     */
    public User user(Principal principal) {
        return users.findById(principal.userId()).orElseThrow(ApiError::unauthorized);
    }

    /** Forgets idle throttling state. */
    public void evictIdleThrottles() {
        loginsPerAccount.evictIdle();
        loginsPerIp.evictIdle();
        guestsPerIp.evictIdle();
    }

    private static String validateAccount(String username, String email, String password) {
        if (!USERNAME.matcher(username).matches()) {
            throw ApiError.badField("invalid_field", "username", "username must be 3-32 letters, digits, '_', '.' or '-'");
        }
        String normalisedEmail = email.trim().toLowerCase(Locale.ROOT);
        if (normalisedEmail.length() > 254 || !EMAIL.matcher(normalisedEmail).matches()) {
            throw ApiError.badField("invalid_field", "email", "email is not a valid e-mail address");
        }
        if (password.length() < MIN_PASSWORD || password.length() > MAX_PASSWORD) {
            throw ApiError.badField("invalid_field", "password", "password must be " + MIN_PASSWORD + " to " + MAX_PASSWORD + " characters");
        }
        return normalisedEmail;
    }

    private static ApiError accountUnavailable() {
        return ApiError.of(409, "account_unavailable", "that username or e-mail address cannot be used; choose another");
    }
}
