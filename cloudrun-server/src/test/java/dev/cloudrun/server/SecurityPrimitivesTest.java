package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.server.auth.PasswordHasher;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.OriginPolicy;
import dev.cloudrun.server.projects.ProjectPaths;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Password hashing, path confinement and the origin allow-list, without a server. */
class SecurityPrimitivesTest {

    @Test
    void passwords_use_pbkdf2_with_at_least_600000_iterations() {
        PasswordHasher hasher = new PasswordHasher();
        String hash = hasher.hash("correct horse");
        assertThat(hash).startsWith("pbkdf2-sha256$");
        assertThat(Integer.parseInt(hash.split("\\$")[1])).isGreaterThanOrEqualTo(600_000);
        assertThat(hasher.matches("correct horse", hash)).isTrue();
        assertThat(hasher.matches("correct horsE", hash)).isFalse();
        assertThat(hasher.matches("correct horse", null)).isFalse();
        assertThat(hasher.hash("correct horse")).isNotEqualTo(hash);
    }

    @Test
    void project_paths_are_confined() {
        assertThat(ProjectPaths.normalize("path", "./src/main.py")).isEqualTo("src/main.py");
        assertThat(ProjectPaths.normalize("path", "src/folder/")).isEqualTo("src/folder");
        for (String bad : List.of("", "..", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "a\\..\\b", "~/x",
                "a%2e%2e/b", "%2Fetc", "a\u0000b", "C:stuff")) {
            assertThatThrownBy(() -> ProjectPaths.normalize("path", bad)).as(bad)
                    .isInstanceOf(ApiError.class).hasMessageNotContaining("Exception");
        }
    }

    @Test
    void origins_are_checked_against_the_allow_list() {
        OriginPolicy policy = new OriginPolicy(List.of("https://ide.example.com"),
                new dev.cloudrun.server.http.HostPolicy("127.0.0.1", List.of("server")));
        assertThat(policy.allows(null, "server:8080")).isTrue();
        assertThat(policy.allows("https://ide.example.com", "api.example.com")).isTrue();
        assertThat(policy.allows("http://localhost:5173", "server:8080")).isTrue();
        assertThat(policy.allows("https://server:8080", "server:8080")).isTrue();
        assertThat(policy.allows("https://evil.example", "server:8080")).isFalse();
        assertThat(policy.allows("null", "server:8080")).isFalse();
        assertThat(new OriginPolicy(List.of("*"), new dev.cloudrun.server.http.HostPolicy("127.0.0.1", List.of()))
                .allows("https://evil.example", "x")).isTrue();
    }
}
