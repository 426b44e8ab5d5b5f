package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.BackendKind;
import dev.cloudrun.server.config.PackageSettings;
import dev.cloudrun.server.config.ProjectSettings;
import dev.cloudrun.server.config.RateLimitSettings;
import dev.cloudrun.server.config.RunQuotaSettings;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.config.ServerConfigException;
import dev.cloudrun.server.config.WebSocketSettings;
import dev.cloudrun.server.db.DatabaseUrl;
import dev.cloudrun.server.http.ClientAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** Configuration sources, precedence, typed values and their checks, database URLs and the production safety checks. */
class ServerConfigTest {

    @Test
    void defaults_need_no_configuration() {
        ServerConfig config = ServerConfig.load(new String[0], Map.of());
        assertThat(config.http().host()).isEqualTo("127.0.0.1");
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(config.database().url().jdbcUrl()).startsWith("jdbc:sqlite:").endsWith("data/cloudrun.db");
        assertThat(config.auth().production()).isFalse();
        assertThat(config.auth().jwtSecret()).isEmpty();
        assertThat(config.auth().tokenTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(config.auth().guestRetention()).isEqualTo(Duration.ofDays(30));
        assertThat(config.sandbox().backend()).isEqualTo(BackendKind.AUTO);
        assertThat(config.sandbox().maxConcurrentRuns()).isGreaterThanOrEqualTo(2);
        assertThat(config.sandbox().defaultWallTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.sandbox().maxWallTime()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.sandbox().defaultMemoryBytes()).isEqualTo(256L << 20);
        assertThat(config.sandbox().maxMemoryBytes()).isEqualTo(1024L << 20);
        assertThat(config.sandbox().maxOutputBytes()).isEqualTo(4L << 20);
        assertThat(config.sandbox().runDeadline()).isEqualTo(Duration.ofSeconds(180));
        assertThat(config.sandbox().allowUnfencedNetwork()).isFalse();
        assertThat(config.packages()).isEqualTo(new PackageSettings(true, "project", Optional.empty(), Optional.empty()));
        assertThat(config.projects()).isEqualTo(new ProjectSettings(2L << 20, 200, 16L << 20, 100));
        assertThat(config.runQuota()).isEqualTo(new RunQuotaSettings(2, 1, 30, 10, 4, 60));
        assertThat(config.rateLimits()).isEqualTo(new RateLimitSettings(600, 10, 100, 30, 30, 10));
        assertThat(config.webSocket()).isEqualTo(new WebSocketSettings(4 << 20, Duration.ofSeconds(120), Duration.ofSeconds(25),
                Duration.ofSeconds(10), 10));
        assertThat(config.ai().enabled()).isTrue();
        assertThat(config.ai().providerOrder()).containsExactly("groq", "gemini", "generic");
        assertThat(config.ai().maxConcurrentRequests()).isEqualTo(32);
        assertThat(config.ai().firstByteTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.ai().groq().baseUrl()).hasValue("https://api.groq.com/openai/v1");
        assertThat(config.ai().groq().apiKey()).isEmpty();
        assertThat(config.ai().generic().baseUrl()).isEmpty();
    }

    @Test
    void flags_beat_environment_which_beats_the_file(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("cloudrun.properties");
        Files.writeString(file, "CLOUDRUN_PORT=7000\nCLOUDRUN_BACKEND=docker\nCLOUDRUN_MAX_PROJECT_FILES=7\n");
        ServerConfig config = ServerConfig.load(new String[] {"--port", "9000", "--config", file.toString()},
                Map.of("CLOUDRUN_PORT", "8000", "CLOUDRUN_BACKEND", "local", "HOME", "/root", "CLOUDRUN_NOT_A_SETTING", "x"));
        assertThat(config.http().port()).isEqualTo(9000);
        assertThat(config.sandbox().backend()).isEqualTo(BackendKind.LOCAL);
        assertThat(config.projects().maxFiles()).isEqualTo(7);
        // The file can also come from the environment, and --config=FILE works like --config FILE.
        assertThat(ServerConfig.load(new String[0], Map.of("CLOUDRUN_CONFIG", file.toString())).http().port()).isEqualTo(7000);
        assertThat(ServerConfig.load(new String[] {"--config=" + file}, Map.of("CLOUDRUN_PORT", "8000")).http().port())
                .isEqualTo(8000);
        assertThat(ServerConfig.load(new String[] {"--database-url", "sqlite:/tmp/flag.db"},
                Map.of("DATABASE_URL", "sqlite:/tmp/env.db")).database().url().jdbcUrl()).isEqualTo("jdbc:sqlite:/tmp/flag.db");
        assertThat(ServerConfig.of(Map.of("CLOUDRUN_DATABASE_URL", "sqlite:/tmp/alias.db")).database().url().jdbcUrl())
                .isEqualTo("jdbc:sqlite:/tmp/alias.db");
        assertThatThrownBy(() -> ServerConfig.load(new String[] {"--prot", "1"}, Map.of()))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("--prot");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PORT", "eighty")))
                .hasMessageContaining("CLOUDRUN_PORT");
        // An unknown name is ignored in the environment (it holds much else) but refused in the file.
        Files.writeString(file, "CLOUDRUN_PROT=7000\n");
        assertThatThrownBy(() -> ServerConfig.load(new String[] {"--config", file.toString()}, Map.of()))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("unknown setting CLOUDRUN_PROT");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "yes", "on", "0", "no", "", "tru"})
    void a_flag_is_true_or_false_and_nothing_else(String value) {
        assertThatThrownBy(() -> ServerConfig.load(new String[0], Map.of("CLOUDRUN_PRODUCTION", value)))
                .isInstanceOf(ServerConfigException.class)
                .hasMessage("CLOUDRUN_PRODUCTION must be true or false, was '" + value + "'");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PACKAGE_INSTALL", value)))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_PACKAGE_INSTALL");
    }

    @Test
    void flags_ignore_case_and_surrounding_blanks() {
        assertThat(ServerConfig.of(Map.of("CLOUDRUN_AI_ENABLED", " FALSE ")).ai().enabled()).isFalse();
        assertThat(ServerConfig.of(Map.of("CLOUDRUN_ALLOW_UNFENCED_NETWORK", "True")).sandbox().allowUnfencedNetwork()).isTrue();
        // The production checks run for any spelling of true.
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "TRUE")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_JWT_SECRET");
    }

    @Test
    void numbers_are_checked_by_their_own_declaration() {
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS", "abc")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessage("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS must be a whole number, was 'abc'");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS", "0")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessageStartingWith("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS must be at least 1").hasMessageEndingWith("was 0");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PORT", "65536")))
                .isInstanceOf(ServerConfigException.class).hasMessage("CLOUDRUN_PORT must be between 0 and 65535, was 65536");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PORT", "-1")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_PORT");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_WALL_TIME_SECONDS", "1.5")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_WALL_TIME_SECONDS");
        assertThat(ServerConfig.of(Map.of("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS", "1")).ai().maxConcurrentRequests()).isEqualTo(1);
    }

    @Test
    void a_number_too_large_for_its_type_is_refused_not_wrapped() {
        // 2^32 + 1 used to become 1 through an (int) cast.
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_MAX_CONCURRENT_RUNS", "4294967297")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessageContaining("CLOUDRUN_MAX_CONCURRENT_RUNS").hasMessageContaining("at most 2147483647");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS", "2147483648")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_AI_MAX_CONCURRENT_REQUESTS");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_MAX_PROJECT_BYTES", "9223372036854775808")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_MAX_PROJECT_BYTES");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_WS_MAX_MESSAGE_BYTES", String.valueOf(1L << 30))))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_WS_MAX_MESSAGE_BYTES");
        ServerConfig large = ServerConfig.of(Map.of("CLOUDRUN_MAX_CONCURRENT_RUNS", "2147483647",
                "CLOUDRUN_MAX_PROJECT_BYTES", "9223372036854775807", "CLOUDRUN_MEMORY_MB", "2147483647"));
        assertThat(large.sandbox().maxConcurrentRuns()).isEqualTo(Integer.MAX_VALUE);
        assertThat(large.projects().maxBytes()).isEqualTo(Long.MAX_VALUE);
        assertThat(large.sandbox().defaultMemoryBytes()).isEqualTo(2147483647L << 20);
    }

    @Test
    void choices_lists_and_urls_are_checked_at_start() {
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_BACKEND", "podman")))
                .isInstanceOf(ServerConfigException.class).hasMessage("CLOUDRUN_BACKEND must be auto, local or docker, was 'podman'");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PACKAGE_CACHE_SCOPE", "host")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_PACKAGE_CACHE_SCOPE");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_AI_PROVIDER_ORDER", "groq,openrouter")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessageContaining("CLOUDRUN_AI_PROVIDER_ORDER").hasMessageContaining("openrouter");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PYPI_INDEX_URL", "file:///srv/pypi")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_PYPI_INDEX_URL");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("DATABASE_URL", "mysql://u:hunter2@h/db")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("DATABASE_URL").hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_DATABASE_URL", "postgresql://u:hunter2@bad host/db")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_DATABASE_URL")
                .hasMessageNotContaining("hunter2");
        ServerConfig config = ServerConfig.of(Map.of("CLOUDRUN_PACKAGE_CACHE_SCOPE", "User", "CLOUDRUN_AI_PROVIDER_ORDER",
                " Gemini , groq,", "CLOUDRUN_NPM_REGISTRY_URL", "https://npm.example/"));
        assertThat(config.packages().cacheScope()).isEqualTo("user");
        assertThat(config.packages().npmRegistryUrl()).hasValue("https://npm.example/");
        assertThat(config.ai().providerOrder()).containsExactly("gemini", "groq");
    }

    @Test
    void secrets_and_database_passwords_are_never_shown() {
        ServerConfig config = ServerConfig.of(Map.of("DATABASE_URL", "postgresql://app:hunter2@db:5432/cloudrun",
                "CLOUDRUN_JWT_SECRET", "q8Zr2vN0xLp4TgHw7YcKm1Ue5Ds9Ba3Fj6Wo", "CLOUDRUN_AI_API_KEY", "sk-secret"));
        assertThat(config.toString()).doesNotContain("hunter2", "q8Zr2", "sk-secret")
                .contains("DATABASE_URL=postgresql://app:***@db:5432/cloudrun", "CLOUDRUN_JWT_SECRET=***", "CLOUDRUN_PORT=8080");
        assertThat(config.auth().toString()).doesNotContain("q8Zr2");
        assertThat(config.ai().toString()).doesNotContain("sk-secret");
        assertThat(config.database().url().toString()).doesNotContain("hunter2");
    }

    @Test
    void production_refuses_missing_weak_or_default_secrets() {
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "true")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("CLOUDRUN_JWT_SECRET");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "true", "CLOUDRUN_JWT_SECRET", "short")))
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "true",
                "CLOUDRUN_JWT_SECRET", "changeme-changeme-changeme-changeme-123")))
                .hasMessageContaining("default");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "true",
                "CLOUDRUN_JWT_SECRET", "a".repeat(40))))
                .hasMessageContaining("guessable");
        ServerConfig strong = ServerConfig.of(Map.of("CLOUDRUN_PRODUCTION", "true",
                "CLOUDRUN_JWT_SECRET", "q8Zr2vN0xLp4TgHw7YcKm1Ue5Ds9Ba3Fj6Wo"));
        assertThat(strong.auth().production()).isTrue();
        assertThat(strong.toString()).doesNotContain("q8Zr2");
    }

    @Test
    void database_urls_in_the_usual_forms() {
        DatabaseUrl postgres = DatabaseUrl.parse("postgresql://app:p%40ss@db.example:6543/cloudrun?sslmode=require");
        assertThat(postgres.kind()).isEqualTo(DatabaseUrl.Kind.POSTGRESQL);
        assertThat(postgres.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/cloudrun?sslmode=require");
        assertThat(postgres.user()).isEqualTo("app");
        assertThat(postgres.password()).isEqualTo("p@ss");
        assertThat(DatabaseUrl.parse("postgres://h/db").jdbcUrl()).isEqualTo("jdbc:postgresql://h/db");
        assertThat(DatabaseUrl.parse("sqlite:/tmp/x.db").jdbcUrl()).isEqualTo("jdbc:sqlite:/tmp/x.db");
        assertThat(DatabaseUrl.parse("jdbc:sqlite:x.db").kind()).isEqualTo(DatabaseUrl.Kind.SQLITE);
        assertThatThrownBy(() -> DatabaseUrl.parse("mysql://u:secret@h/db"))
                .isInstanceOf(ServerConfigException.class).hasMessageNotContaining("secret");
    }

    @Test
    void trusted_proxies_must_be_addresses_or_ranges() {
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessageContaining("CLOUDRUN_TRUSTED_PROXIES").hasMessageContaining("proxy.example");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_TRUSTED_PROXIES", "10.0.0.0/33")))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("prefix");
    }

    @Test
    void the_client_is_the_last_forwarded_hop_that_is_not_a_trusted_proxy() {
        ClientAddress behindProxies = ServerConfig.of(Map.of("CLOUDRUN_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, fd00::/8"))
                .http().clientAddress();
        // Through the local proxy and a balancer in 10/8: the hop before them is the client.
        assertThat(behindProxies.of("127.0.0.1", "198.51.100.7, 10.1.2.3")).isEqualTo("198.51.100.7");
        // A client that sends its own X-Forwarded-For cannot hide behind it: the proxy appends the real address.
        assertThat(behindProxies.of("127.0.0.1", "1.2.3.4, 203.0.113.9")).isEqualTo("203.0.113.9");
        // Straight from an untrusted address, the header is ignored.
        assertThat(behindProxies.of("203.0.113.9", "1.2.3.4")).isEqualTo("203.0.113.9");
        assertThat(behindProxies.of("127.0.0.1", null)).isEqualTo("127.0.0.1");
        assertThat(behindProxies.of("fd00::1", "2001:db8::5")).isEqualTo("2001:db8:0:0:0:0:0:5");
        // Garbage in the header: the last address that could be trusted.
        assertThat(behindProxies.of("127.0.0.1", "not-an-address")).isEqualTo("127.0.0.1");
        assertThat(behindProxies.of("127.0.0.1", "evil.example, 10.0.0.5")).isEqualTo("10.0.0.5");

        ClientAddress direct = ServerConfig.of(Map.of()).http().clientAddress();
        assertThat(direct.of("127.0.0.1", "198.51.100.7")).isEqualTo("127.0.0.1");
    }

    @Test
    void a_docker_runtime_is_a_name_and_needs_the_docker_backend() {
        assertThat(ServerConfig.of(Map.of()).sandbox().dockerRuntime()).isEmpty();
        assertThat(ServerConfig.of(Map.of("CLOUDRUN_DOCKER_RUNTIME", "runsc")).sandbox().dockerRuntime()).contains("runsc");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_DOCKER_RUNTIME", "runsc --debug")))
                .isInstanceOf(ServerConfigException.class).hasMessageStartingWith("CLOUDRUN_DOCKER_RUNTIME ");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_DOCKER_RUNTIME", "runsc", "CLOUDRUN_BACKEND", "local")))
                .isInstanceOf(ServerConfigException.class)
                .hasMessageContaining("CLOUDRUN_DOCKER_RUNTIME").hasMessageContaining("CLOUDRUN_BACKEND is local");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "judge0", "/judge0/", "/a b", "//x", "/x/../y", "/api/judge0", "/ws", "/jobe"})
    void a_judge0_path_that_is_not_a_plain_path_off_cloudruns_routes_is_refused(String path) {
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_JUDGE0_PATH", path)))
                .isInstanceOf(ServerConfigException.class).hasMessageStartingWith("CLOUDRUN_JUDGE0_PATH must");
    }

    @Test
    void judge0_path_and_port() {
        ServerConfig defaults = ServerConfig.of(Map.of());
        assertThat(defaults.compat().judge0Path()).isEqualTo("/judge0");
        assertThat(defaults.compat().judge0Port()).isEmpty();
        ServerConfig set = ServerConfig.of(Map.of("CLOUDRUN_JUDGE0_PATH", "/compat/judge0_ce-1", "CLOUDRUN_JUDGE0_PORT", "2358"));
        assertThat(set.compat().judge0Path()).isEqualTo("/compat/judge0_ce-1");
        assertThat(set.compat().judge0Port()).hasValue(2358);
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_JUDGE0_PORT", "70000")))
                .hasMessage("CLOUDRUN_JUDGE0_PORT must be between 0 and 65535, was 70000");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_JUDGE0_PATH", "/")))
                .hasMessageContaining("would shadow the IDE");
    }
}
