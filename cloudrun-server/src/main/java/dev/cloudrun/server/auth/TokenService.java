package dev.cloudrun.server.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;

/**
 * Issues and verifies the server's tokens: JWTs signed with HMAC-SHA256 and nothing else. The
 * verifier is pinned to HS256, so a token with another algorithm, {@code alg: none}, a bad
 * signature, another issuer or a past expiry is rejected.
 */
public final class TokenService {
    private static final String ISSUER = "cloudrun";

    private final Algorithm algorithm;
    private final JWTVerifier verifier;
    private final Duration ttl;
    private final Clock clock;

    /**
     * Creates the service.
     *
     * @param secret the HMAC key
     * @param ttl how long tokens are valid
     * @param clock the time source
     */
    public TokenService(byte[] secret, Duration ttl, Clock clock) {
        this.algorithm = Algorithm.HMAC256(secret);
        this.verifier = JWT.require(algorithm).withIssuer(ISSUER).withClaimPresence("sub").build();
        this.ttl = ttl;
        this.clock = clock;
    }

    /**
     * A signed token and the instant it expires.
     *
     * @param token the JWT
     * @param expiresAt its {@code exp}
     */
    public record IssuedToken(String token, Instant expiresAt) { }

    /**
     * Issues a token.
     *
     * @param userId the subject
     * @param guest whether it is a guest session
     * @return the signed token and its expiry
     */
    public IssuedToken issue(String userId, boolean guest) {
        // JWT times have whole seconds: report the expiry exactly as the token states it.
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = now.plus(ttl);
        String token = JWT.create()
                .withIssuer(ISSUER)
                .withSubject(userId)
                .withClaim("guest", guest)
                .withIssuedAt(now)
                .withExpiresAt(expiresAt)
                .withJWTId(UUID.randomUUID().toString())
                .sign(algorithm);
        return new IssuedToken(token, expiresAt);
    }

    /**
     * Verifies a token.
     *
     * @param token the token
     * @return the user id it was issued to, empty if it is forged, expired or malformed
     */
    public Optional<String> verify(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        try {
            DecodedJWT decoded = verifier.verify(token);
            return Optional.ofNullable(decoded.getSubject());
        } catch (JWTVerificationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** @return how long tokens are valid */
    public Duration ttl() {
        return ttl;
    }
}
