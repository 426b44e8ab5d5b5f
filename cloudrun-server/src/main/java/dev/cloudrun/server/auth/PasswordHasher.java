package dev.cloudrun.server.auth;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Hashes passwords with PBKDF2-HMAC-SHA256 (OWASP's 600,000 iterations, 16-byte salt, 32-byte key)
 * from the JDK, and checks them in constant time. The encoded form carries its parameters
 * ({@code pbkdf2-sha256$ITERATIONS$SALT$HASH}) so the cost can be raised later without breaking
 * existing accounts.
 */
public final class PasswordHasher {
    /** The iteration count for new hashes (OWASP 2023 recommendation for PBKDF2-HMAC-SHA256). */
    public static final int ITERATIONS = 600_000;
    private static final String ALGORITHM = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int KEY_BITS = 256;

    private final SecureRandom random = new SecureRandom();
    /** A hash of nothing, checked against when an account does not exist so that timing does not tell. */
    private final String decoy;

    /** Creates the hasher. */
    public PasswordHasher() {
        this.decoy = hash("decoy password that matches nothing");
    }

    /**
     * Hashes a password with a fresh salt.
     *
     * @param password the password
     * @return the encoded hash
     */
    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        random.nextBytes(salt);
        byte[] key = derive(password, salt, ITERATIONS);
        Base64.Encoder base64 = Base64.getEncoder().withoutPadding();
        return ALGORITHM + "$" + ITERATIONS + "$" + base64.encodeToString(salt) + "$" + base64.encodeToString(key);
    }

    /**
     * Checks a password against an encoded hash, in time independent of where they differ.
     *
     * @param password the password given
     * @param encoded the stored hash, or null when the account does not exist (a decoy is checked)
     * @return whether they match
     */
    public boolean matches(String password, String encoded) {
        boolean real = encoded != null;
        String[] parts = (real ? encoded : decoy).split("\\$");
        if (parts.length != 4 || !ALGORITHM.equals(parts[0])) {
            return false;
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            return false;
        }
        Base64.Decoder base64 = Base64.getDecoder();
        byte[] expected = base64.decode(parts[3]);
        byte[] actual = derive(password, base64.decode(parts[2]), iterations);
        return MessageDigest.isEqual(expected, actual) && real;
    }

    private static byte[] derive(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, KEY_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }
}
