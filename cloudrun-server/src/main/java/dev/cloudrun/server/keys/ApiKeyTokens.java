package dev.cloudrun.server.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of an API key's token: {@code cr_<id>_<secret>}, where the id finds the row and the
 * secret (32 random bytes, base64url) is checked against its SHA-256. A key has 256 bits of
 * entropy, so a fast hash is enough (a password needs PBKDF2 because people choose weak ones).
 */
final class ApiKeyTokens {
    static final String PREFIX = "cr_";
    private static final Pattern SHAPE = Pattern.compile("cr_([a-z0-9]{16})_([A-Za-z0-9_-]{43})");
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeyTokens() { }

    /** A new key's id and secret. */
    record Parts(String id, String secret) {
        String token() {
            return PREFIX + id + "_" + secret;
        }
    }

    static Parts generate() {
        StringBuilder id = new StringBuilder(16);
        for (int i = 0; i < 16; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return new Parts(id.toString(), Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }

    /**
     * @param token what a client sent
     * @return its id and secret, empty if it is not shaped like a key
     */
    static Optional<Parts> parse(String token) {
        Matcher matcher = SHAPE.matcher(token);
        return matcher.matches() ? Optional.of(new Parts(matcher.group(1), matcher.group(2))) : Optional.empty();
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Compares two hashes in time that does not depend on where they differ. */
    static boolean sameHash(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }
}
