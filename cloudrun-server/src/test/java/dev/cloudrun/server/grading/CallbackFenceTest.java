package dev.cloudrun.server.grading;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.server.http.ApiError;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackFenceTest {
    private final CallbackFence fence = new CallbackFence(false);
    private final CallbackFence open = new CallbackFence(true);

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "/relative/hook",
            "example.com/hook", "https://user:secret@example.com/hook", "https://user@example.com/hook", "http:///hook",
            "https://exa mple.com/", ""})
    void refusesWhatIsNotAnAbsoluteHttpUrl(String url) {
        assertThatThrownBy(() -> CallbackFence.checkUrl(url, "callbackUrl"))
                .isInstanceOfSatisfying(ApiError.class, error -> {
                    assertThat(error.status()).isEqualTo(400);
                    assertThat(error.code()).isEqualTo("invalid_callback_url");
                    assertThat(error.field()).contains("callbackUrl");
                    assertThat(error.getMessage()).startsWith("callbackUrl ");
                });
    }

    @Test
    void refusesANullOrOverlongUrl() {
        assertThatThrownBy(() -> CallbackFence.checkUrl(null, "callbackUrl")).isInstanceOf(ApiError.class);
        String overlong = "https://example.com/" + "a".repeat(CallbackFence.MAX_URL_LENGTH);
        assertThatThrownBy(() -> CallbackFence.checkUrl(overlong, "callbackUrl"))
                .isInstanceOf(ApiError.class).hasMessageContaining("at most 2000 characters");
    }

    @Test
    void acceptsHttpAndHttpsUrls() {
        assertThat(CallbackFence.checkUrl("https://grader.example.com:8443/hooks/cloudrun?x=1", "callbackUrl").getHost())
                .isEqualTo("grader.example.com");
        assertThat(CallbackFence.checkUrl("HTTP://93.184.216.34/hook", "callbackUrl").getPort()).isEqualTo(-1);
        assertThat(CallbackFence.checkUrl("http://[2606:2800:220:1::1]:8080/", "callbackUrl").getPort()).isEqualTo(8080);
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1/", "http://127.1.2.3:8080/", "http://[::1]/", "http://localhost:9000/",
            "http://10.0.0.5/", "http://172.16.0.1/", "http://172.31.255.254/", "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/", "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.1.2.3]/", "http://[::127.0.0.1]/", "http://100.64.0.1/",
            "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/"})
    void refusesLocalAndPrivateAddresses(String url) {
        URI uri = CallbackFence.checkUrl(url, "callbackUrl");

        assertThat(fence.refusal(uri)).hasValueSatisfying(reason -> assertThat(reason).contains("may not reach"));
        assertThatThrownBy(() -> fence.checkDestination(uri, "callbackUrl"))
                .isInstanceOfSatisfying(ApiError.class, error -> {
                    assertThat(error.status()).isEqualTo(400);
                    assertThat(error.code()).isEqualTo("callback_url_refused");
                    assertThat(error.field()).contains("callbackUrl");
                });
        assertThat(open.refusal(uri)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://93.184.216.34/hook", "https://8.8.8.8/", "http://172.32.0.1/", "http://100.128.0.1/",
            "http://[2606:2800:220:1:248:1893:25c8:1946]/"})
    void allowsPublicLiteralAddresses(String url) {
        URI uri = CallbackFence.checkUrl(url, "callbackUrl");

        assertThat(fence.refusal(uri)).isEmpty();
        fence.checkDestination(uri, "callbackUrl");
    }

    @Test
    void refusesAHostThatDoesNotResolve() {
        URI uri = CallbackFence.checkUrl("https://no-such-host.invalid/hook", "callbackUrl");

        assertThat(fence.refusal(uri)).hasValueSatisfying(reason -> assertThat(reason).contains("does not resolve"));
    }
}
