package dev.cloudrun.server.grading;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CallbackSignerTest {
    private static final byte[] SERVER_SECRET = "a-server-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8);
    private static final long TIMESTAMP = 1_700_000_000L;
    private static final byte[] BODY = "{\"id\":\"sub-1\",\"status\":\"DONE\",\"score\":7.5,\"note\":\"é\"}"
            .getBytes(StandardCharsets.UTF_8);
    private static final Clock AT_TIMESTAMP = Clock.fixed(Instant.ofEpochSecond(TIMESTAMP), ZoneOffset.UTC);

    private final CallbackSigner signer = new CallbackSigner(SERVER_SECRET);

    /** Python's hmac module, given the inputs base64-encoded so that no quoting can change them. */
    private static String python(String program, byte[]... inputs) throws IOException, InterruptedException {
        String[] command = new String[3 + inputs.length];
        command[0] = "/usr/bin/python3";
        command[1] = "-c";
        command[2] = "import base64, hashlib, hmac, sys\n"
                + "args = [base64.b64decode(a) for a in sys.argv[1:]]\n" + program;
        for (int i = 0; i < inputs.length; i++) {
            command[3 + i] = Base64.getEncoder().encodeToString(inputs[i]);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    @Test
    void signingSecretMatchesAnIndependentImplementation() throws Exception {
        String expected = python("d = hmac.new(args[0], b'cloudrun-callback:' + args[1], hashlib.sha256).digest()\n"
                + "print('whsec_' + base64.urlsafe_b64encode(d).decode().rstrip('='))",
                SERVER_SECRET, "key-123".getBytes(StandardCharsets.UTF_8));

        assertThat(signer.signingSecret("key-123")).isEqualTo(expected).startsWith("whsec_").hasSize(6 + 43);
    }

    @Test
    void signatureMatchesAnIndependentImplementation() throws Exception {
        String secret = signer.signingSecret("key-123");
        String expected = python("print('sha256=' + hmac.new(args[0], args[1] + b'.' + args[2], hashlib.sha256).hexdigest())",
                secret.getBytes(StandardCharsets.UTF_8), Long.toString(TIMESTAMP).getBytes(StandardCharsets.UTF_8), BODY);

        assertThat(signer.signature("key-123", TIMESTAMP, BODY)).isEqualTo(expected).matches("sha256=[0-9a-f]{64}");
    }

    @Test
    void verifyAcceptsWhatWasSigned() {
        String signature = signer.signature("key-123", TIMESTAMP, BODY);

        assertThat(CallbackSigner.verify(signer.signingSecret("key-123"), Long.toString(TIMESTAMP), signature, BODY,
                AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE)).isTrue();
    }

    @Test
    void verifyRefusesAChangedBody() {
        String signature = signer.signature("key-123", TIMESTAMP, BODY);
        byte[] changed = new String(BODY, StandardCharsets.UTF_8).replace("7.5", "9.5").getBytes(StandardCharsets.UTF_8);

        assertThat(CallbackSigner.verify(signer.signingSecret("key-123"), Long.toString(TIMESTAMP), signature, changed,
                AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
    }

    @Test
    void verifyRefusesAWrongSecretAndAnotherTimestamp() {
        String signature = signer.signature("key-123", TIMESTAMP, BODY);

        assertThat(CallbackSigner.verify(signer.signingSecret("key-456"), Long.toString(TIMESTAMP), signature, BODY,
                AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
        assertThat(CallbackSigner.verify(new CallbackSigner("another-server".getBytes(StandardCharsets.UTF_8))
                        .signingSecret("key-123"), Long.toString(TIMESTAMP), signature, BODY, AT_TIMESTAMP,
                CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
        // The timestamp is signed: moving it to look fresh breaks the signature.
        assertThat(CallbackSigner.verify(signer.signingSecret("key-123"), Long.toString(TIMESTAMP + 1), signature, BODY,
                Clock.offset(AT_TIMESTAMP, Duration.ofSeconds(1)), CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
    }

    @Test
    void verifyRefusesAStaleOrMissingTimestamp() {
        String secret = signer.signingSecret("key-123");
        String signature = signer.signature("key-123", TIMESTAMP, BODY);
        String timestamp = Long.toString(TIMESTAMP);

        assertThat(CallbackSigner.verify(secret, timestamp, signature, BODY,
                Clock.offset(AT_TIMESTAMP, Duration.ofMinutes(5)), CallbackSigner.DEFAULT_TOLERANCE)).isTrue();
        assertThat(CallbackSigner.verify(secret, timestamp, signature, BODY,
                Clock.offset(AT_TIMESTAMP, Duration.ofMinutes(5).plusSeconds(1)), CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
        assertThat(CallbackSigner.verify(secret, timestamp, signature, BODY,
                Clock.offset(AT_TIMESTAMP, Duration.ofMinutes(-6)), CallbackSigner.DEFAULT_TOLERANCE)).isFalse();
        assertThat(CallbackSigner.verify(secret, null, signature, BODY, AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE))
                .isFalse();
        assertThat(CallbackSigner.verify(secret, "17e8", signature, BODY, AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE))
                .isFalse();
        assertThat(CallbackSigner.verify(secret, timestamp, null, BODY, AT_TIMESTAMP, CallbackSigner.DEFAULT_TOLERANCE))
                .isFalse();
    }

    @Test
    void everyKeyHasItsOwnSecretAndEveryNodeDerivesTheSame() {
        assertThat(signer.signingSecret("key-1")).isNotEqualTo(signer.signingSecret("key-2"));
        assertThat(new CallbackSigner(SERVER_SECRET.clone()).signingSecret("key-1")).isEqualTo(signer.signingSecret("key-1"));
        assertThat(new CallbackSigner("another-server".getBytes(StandardCharsets.UTF_8)).signingSecret("key-1"))
                .isNotEqualTo(signer.signingSecret("key-1"));
    }
}
