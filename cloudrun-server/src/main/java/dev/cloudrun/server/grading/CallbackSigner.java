package dev.cloudrun.server.grading;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs grading callbacks so that a receiver can tell they come from this server and were not
 * replayed.
 *
 * <p>Each API key has a signing secret, {@code whsec_...}, derived from the server's secret and the
 * key's id (HMAC-SHA256, base64url without padding). It is never stored: the API shows it once,
 * when the key is created, and every server node that shares the server secret derives the same
 * one. Changing the server secret changes every key's signing secret.
 *
 * <p>Every callback is a {@code POST} of the submission as {@code GET /api/submissions/{id}}
 * answers it ({@code Content-Type: application/json}), with these headers:
 * <ul>
 *   <li>{@code X-CloudRun-Timestamp}: when it was sent, in seconds since the epoch;</li>
 *   <li>{@code X-CloudRun-Signature}: {@code sha256=} and the lowercase hex HMAC-SHA256 of
 *       {@code TIMESTAMP + "." + BODY}, keyed with the signing secret's UTF-8 bytes (the whole
 *       {@code whsec_...} text);</li>
 *   <li>{@code X-CloudRun-Submission}: the submission's id;</li>
 *   <li>{@code X-CloudRun-Attempt}: 1 for the first delivery, 2 for the first retry, and so on.</li>
 * </ul>
 * A receiver computes the HMAC over the raw body bytes it received (before parsing the JSON),
 * compares it with the header in constant time, and refuses a timestamp more than 5 minutes away
 * from its own clock, so that a recorded callback cannot be replayed later. A callback may arrive
 * more than once (a node that dies mid-delivery leaves it to another): the submission id tells
 * duplicates apart. {@link #verify} does all of this.
 */
public final class CallbackSigner {
    /** The header with the signature. */
    public static final String SIGNATURE_HEADER = "X-CloudRun-Signature";
    /** The header with the time of sending, epoch seconds. */
    public static final String TIMESTAMP_HEADER = "X-CloudRun-Timestamp";
    /** The header with the submission id. */
    public static final String SUBMISSION_HEADER = "X-CloudRun-Submission";
    /** The header with the attempt number, from 1. */
    public static final String ATTEMPT_HEADER = "X-CloudRun-Attempt";
    /** How old a callback's timestamp receivers should accept. */
    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    private static final String SECRET_PREFIX = "whsec_";
    private static final String SIGNATURE_PREFIX = "sha256=";
    private static final String DERIVATION_LABEL = "cloudrun-callback:";

    private final byte[] serverSecret;

    /**
     * @param serverSecret the secret all server nodes share (at least 32 random bytes)
     */
    public CallbackSigner(byte[] serverSecret) {
        if (serverSecret.length == 0) {
            throw new IllegalArgumentException("the server secret is empty");
        }
        this.serverSecret = serverSecret.clone();
    }

    /**
     * @param keyId the API key's id
     * @return the key's signing secret, {@code whsec_} and 43 base64url characters
     */
    public String signingSecret(String keyId) {
        byte[] derived = hmac(serverSecret, (DERIVATION_LABEL + keyId).getBytes(StandardCharsets.UTF_8));
        return SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(derived);
    }

    /**
     * @param keyId the API key the submission came with
     * @param timestampSeconds the {@code X-CloudRun-Timestamp} value
     * @param body the exact bytes posted
     * @return the {@code X-CloudRun-Signature} value, {@code sha256=} and 64 hex digits
     */
    public String signature(String keyId, long timestampSeconds, byte[] body) {
        return sign(signingSecret(keyId), timestampSeconds, body);
    }

    /**
     * Checks a received callback, as a receiver should.
     *
     * @param signingSecret the key's {@code whsec_...} secret
     * @param timestampHeader the {@code X-CloudRun-Timestamp} header, or null
     * @param signatureHeader the {@code X-CloudRun-Signature} header, or null
     * @param body the raw body received
     * @param clock the receiver's clock
     * @param tolerance how far the timestamp may be from now, either way ({@link #DEFAULT_TOLERANCE})
     * @return true if the signature matches and the timestamp is recent
     */
    public static boolean verify(String signingSecret, String timestampHeader, String signatureHeader, byte[] body,
            Clock clock, Duration tolerance) {
        if (timestampHeader == null || signatureHeader == null || !timestampHeader.matches("[0-9]{1,18}")) {
            return false;
        }
        long timestamp = Long.parseLong(timestampHeader);
        long age = clock.instant().getEpochSecond() - timestamp;
        if (Math.abs(age) > tolerance.toSeconds()) {
            return false;
        }
        byte[] expected = sign(signingSecret, timestamp, body).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.UTF_8));
    }

    private static String sign(String signingSecret, long timestampSeconds, byte[] body) {
        byte[] prefix = (timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, message, 0, prefix.length);
        System.arraycopy(body, 0, message, prefix.length, body.length);
        return SIGNATURE_PREFIX + HexFormat.of().formatHex(hmac(signingSecret.getBytes(StandardCharsets.UTF_8), message));
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
