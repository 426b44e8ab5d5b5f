package dev.cloudrun.server.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;

/**
 * Issues and verifies the server's tokens: JWTs signed with HMAC-SHA256 and nothing else. The
 * verifier is pinned to HS256, so a token with another algorithm, {@code alg: none}, a bad
 * signature, another issuer or a past expiry is rejected, and so is one that lacks an expiry, an
 * issue time (a token that says nothing about its lifetime would live for ever). Each
 * token carries {@code auth_time}, when its session signed in, which refreshes copy, so that a
 * session has an absolute lifetime.
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
        this.verifier = JWT.require(algorithm).withIssuer(ISSUER).withClaimPresence("sub")
                .withClaimPresence("exp").withClaimPresence("iat").build();
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
     * What a valid token says.
     *
     * @param userId its subject
     * @param tokenId its {@code jti}, what logout revokes
     * @param expiresAt its {@code exp}
     * @param signedInAt when its session signed in ({@code auth_time}; its {@code iat} when absent)
     */
    public record VerifiedToken(String userId, String tokenId, Instant expiresAt, Instant signedInAt) { }

    /**
     * Issues a token.
     *
     * @param userId the subject
     * @param guest whether it is a guest session
     * @return the signed token and its expiry
     */
    public IssuedToken issue(String userId, boolean guest) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return issue(userId, guest, now, now.plus(ttl));
    }

    /**
     * Issues a token for a session that signed in earlier.
     *
     * @param userId the subject
     * @param guest whether it is a guest session
     * @param signedInAt when the session signed in
     * @param latestExpiry the token expires after the usual lifetime or at this instant, whichever comes first
     * @return the signed token and its expiry
     */
    public IssuedToken issue(String userId, boolean guest, Instant signedInAt, Instant latestExpiry) {
        // JWT times have whole seconds: report the expiry exactly as the token states it.
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Instant expiresAt = now.plus(ttl);
        Instant cap = latestExpiry.truncatedTo(ChronoUnit.SECONDS);
        if (cap.isBefore(expiresAt)) {
            expiresAt = cap;
        }
        String token = JWT.create()
                .withIssuer(ISSUER)
                .withSubject(userId)
                .withClaim("guest", guest)
                .withIssuedAt(now)
                .withClaim("auth_time", signedInAt.getEpochSecond())
                .withExpiresAt(expiresAt)
                .withJWTId(UUID.randomUUID().toString())
                .sign(algorithm);
        return new IssuedToken(token, expiresAt);
    }

    /**
     * Verifies a token.
     *
     * @param token the token
     * @return what it says, empty if it is forged, expired or malformed
     */
    public Optional<VerifiedToken> verify(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        try {
            DecodedJWT decoded = verifier.verify(token);
            Long signedIn = decoded.getClaim("auth_time").asLong();
            Instant signedInAt = signedIn == null ? decoded.getIssuedAtAsInstant() : Instant.ofEpochSecond(signedIn);
            // Tokens this server issues have an id; any other valid one is revoked by its digest.
            String id = decoded.getId() != null ? decoded.getId() : "sha256:" + HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)))
                    .substring(0, 48);
            return Optional.of(new VerifiedToken(decoded.getSubject(), id, decoded.getExpiresAtAsInstant(), signedInAt));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        } catch (JWTVerificationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** @return how long tokens are valid */
    public Duration ttl() {
        return ttl;
    }
}
