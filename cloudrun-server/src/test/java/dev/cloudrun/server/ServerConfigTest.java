package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudrun.BackendKind;
import dev.cloudrun.server.config.ServerConfig;
import dev.cloudrun.server.http.ClientAddress;
import dev.cloudrun.server.config.ServerConfigException;
import dev.cloudrun.server.db.DatabaseUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration sources, precedence, database URLs and the production safety checks. */
class ServerConfigTest {

    @Test
    void defaults_need_no_configuration() {
        ServerConfig config = ServerConfig.load(new String[0], Map.of());
        assertThat(config.port()).isEqualTo(8080);
        assertThat(config.backend()).isEqualTo(BackendKind.AUTO);
        assertThat(config.databaseUrl()).startsWith("jdbc:sqlite:").endsWith("data/cloudrun.db");
        assertThat(config.tokenTtl().toDays()).isEqualTo(7);
    }

    @Test
    void flags_beat_environment_which_beats_the_file(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("cloudrun.properties");
        Files.writeString(file, "CLOUDRUN_PORT=7000\nCLOUDRUN_BACKEND=docker\nCLOUDRUN_MAX_PROJECT_FILES=7\n");
        ServerConfig config = ServerConfig.load(new String[] {"--port", "9000", "--config", file.toString()},
                Map.of("CLOUDRUN_PORT", "8000", "CLOUDRUN_BACKEND", "local", "HOME", "/root"));
        assertThat(config.port()).isEqualTo(9000);
        assertThat(config.backend()).isEqualTo(BackendKind.LOCAL);
        assertThat(config.maxProjectFiles()).isEqualTo(7);
        assertThatThrownBy(() -> ServerConfig.load(new String[] {"--prot", "1"}, Map.of()))
                .isInstanceOf(ServerConfigException.class).hasMessageContaining("--prot");
        assertThatThrownBy(() -> ServerConfig.of(Map.of("CLOUDRUN_PORT", "eighty")))
                .hasMessageContaining("CLOUDRUN_PORT");
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
        assertThat(strong.production()).isTrue();
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
                .clientAddress();
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

        ClientAddress direct = ServerConfig.of(Map.of()).clientAddress();
        assertThat(direct.of("127.0.0.1", "198.51.100.7")).isEqualTo("127.0.0.1");
    }
}
