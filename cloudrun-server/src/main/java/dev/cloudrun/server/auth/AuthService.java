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
 * upgrade to accounts, logout, and resolving a token to its {@link Principal}. Login is throttled
 * per address, per account from one address (the account, not the typed identifier: its username
 * and e-mail count together) and per account from all addresses (a larger bound), so someone
 * else's guesses from elsewhere do not lock the owner out; its errors never say whether an account
 * exists. Registration is throttled per address and tells only whether a username is taken (an
 * e-mail address that another account uses is kept as a contact address, see {@link UserRepository}).
 */
public final class AuthService {
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{2,31}");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]+\\.[^@\\s]+");
    private static final int MIN_PASSWORD = 8;
    private static final int MAX_PASSWORD = 1024;

    private final UserRepository users;
    private final PasswordHasher hasher;
    private final TokenService tokens;
    private final KeyedRateLimiter loginsPerAccountAndIp;
    private final KeyedRateLimiter loginsPerAccount;
    private final KeyedRateLimiter loginsPerIp;
    private final KeyedRateLimiter guestsPerIp;
    private final KeyedRateLimiter registrationsPerIp;
    private final Duration sessionMaxLifetime;
    private final Clock clock;

    /**
     * How much each throttle allows.
     *
     * @param loginsPerAccountPerMinute login attempts on one account from one address
     * @param loginsPerAccountAllAddressesPerMinute login attempts on one account from all addresses
     * @param loginsPerIpPerMinute login attempts from one address
     * @param guestsPerIpPerHour guest sessions from one address
     * @param registrationsPerIpPerHour accounts created from one address
     * @param sessionMaxLifetime how long after signing in a session may be refreshed
     */
    public record Limits(int loginsPerAccountPerMinute, int loginsPerAccountAllAddressesPerMinute, int loginsPerIpPerMinute,
                         int guestsPerIpPerHour, int registrationsPerIpPerHour, Duration sessionMaxLifetime) { }

    /**
     * Creates the service.
     *
     * @param users the user store
     * @param hasher the password hasher
     * @param tokens the token service
     * @param limits the throttles and the session lifetime
     * @param clock the time source
     */
    public AuthService(UserRepository users, PasswordHasher hasher, TokenService tokens, Limits limits, Clock clock) {
        this.users = users;
        this.hasher = hasher;
        this.tokens = tokens;
        this.loginsPerAccountAndIp = new KeyedRateLimiter(limits.loginsPerAccountPerMinute(), Duration.ofMinutes(1));
        this.loginsPerAccount = new KeyedRateLimiter(limits.loginsPerAccountAllAddressesPerMinute(), Duration.ofMinutes(1));
        this.loginsPerIp = new KeyedRateLimiter(limits.loginsPerIpPerMinute(), Duration.ofMinutes(1));
        this.guestsPerIp = new KeyedRateLimiter(limits.guestsPerIpPerHour(), Duration.ofHours(1));
        this.registrationsPerIp = new KeyedRateLimiter(limits.registrationsPerIpPerHour(), Duration.ofHours(1));
        this.sessionMaxLifetime = limits.sessionMaxLifetime();
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
     * @param ip the client's address, for throttling
     * @return the new session
     * @throws ApiError {@code invalid_field}, 409 {@code account_unavailable} (the username is taken; an e-mail
     *     address in use is not an error), 429 {@code registration_throttled}
     */
    public Session register(String username, String email, String password, String ip) {
        String normalisedEmail = validateAccount(username, email, password);
        throttleRegistration(ip);
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
     * @param ip the client's address, for throttling
     * @return a new session for the account
     */
    public Session upgrade(Principal guest, String username, String email, String password, String ip) {
        if (!guest.guest()) {
            throw ApiError.of(409, "not_a_guest", "this session already belongs to an account");
        }
        String normalisedEmail = validateAccount(username, email, password);
        throttleRegistration(ip);
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
        String typed = identifier.trim().toLowerCase(Locale.ROOT);
        Optional<User> user = typed.isEmpty() ? Optional.empty() : users.findByLogin(typed);
        // The account, whichever of its names was typed; an unknown name is throttled as if it were one.
        String account = user.map(found -> "id:" + found.id()).orElse("name:" + typed);
        Optional<Duration> wait = loginsPerIp.tryAcquire(ip)
                .or(() -> loginsPerAccountAndIp.tryAcquire(account + " from " + ip))
                .or(() -> loginsPerAccount.tryAcquire(account));
        if (wait.isPresent()) {
            throw ApiError.tooManyRequests("login_throttled", "too many login attempts; try again later", wait.get());
        }
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
        User user = user(principal);
        TokenService.VerifiedToken token = principal.token().orElseThrow(ApiError::unauthorized);
        Instant sessionEnd = token.signedInAt().plus(sessionMaxLifetime);
        if (!clock.instant().isBefore(sessionEnd)) {
            throw ApiError.of(401, "session_expired", "this session is older than the longest session allowed; sign in again");
        }
        TokenService.IssuedToken issued = tokens.issue(user.id(), user.guest(), token.signedInAt(), sessionEnd);
        return new Session(issued.token(), issued.expiresAt(), user);
    }

    /**
     * Signs out: the caller's token is refused from now on (until it would have expired anyway).
     *
     * @param principal the caller
     */
    public void logout(Principal principal) {
        TokenService.VerifiedToken token = principal.token().orElseThrow(ApiError::unauthorized);
        users.revokeToken(token.tokenId(), principal.userId(), token.expiresAt().toEpochMilli());
    }

    /**
     * Forgets revocations of tokens that have expired anyway.
     *
     * @return how many were forgotten
     */
    public int purgeExpiredRevocations() {
        return users.purgeExpiredRevocations(clock.millis());
    }

    /**
     * Resolves a bearer token to its user, who must still exist.
     *
     * @param token the token
     * @return the principal, empty if the token is forged, expired or revoked, or the user is gone
     */
    public Optional<Principal> authenticate(String token) {
        return tokens.verify(token).flatMap(verified -> users.findByToken(verified.userId(), verified.tokenId())
                .map(user -> new Principal(user.id(), user.username(), user.guest(), Optional.of(verified))));
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
        loginsPerAccountAndIp.evictIdle();
        loginsPerAccount.evictIdle();
        loginsPerIp.evictIdle();
        guestsPerIp.evictIdle();
        registrationsPerIp.evictIdle();
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

    private void throttleRegistration(String ip) {
        registrationsPerIp.tryAcquire(ip).ifPresent(wait -> {
            throw ApiError.tooManyRequests("registration_throttled", "too many accounts created from this address; try again later",
                    wait);
        });
    }

    private static ApiError accountUnavailable() {
        return ApiError.conflict("account_unavailable", "username", "that username is taken; choose another");
    }
}
