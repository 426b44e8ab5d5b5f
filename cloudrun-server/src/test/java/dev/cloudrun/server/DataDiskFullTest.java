package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudrun.server.config.ServerConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The data directory's disk full (an 8 MiB tmpfs mounted as the data directory, then filled):
 * saving gives a clear 507 {@code storage_full} in the JSON error shape, nothing half-written
 * appears (project files live in SQLite; the failed transaction leaves no row), earlier data stays
 * readable, saving works again once space is freed, and the database passes
 * {@code PRAGMA integrity_check}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DataDiskFullTest {

    @Test
    void a_full_data_disk_gives_clear_errors_and_keeps_the_database_intact() throws Exception {
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("mounting a tmpfs needs root").isZero();
        Path dataDir = Files.createTempDirectory(Path.of("/tmp"), "cloudrun-diskfull-");
        command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "cloudrun-diskfull", dataDir.toString());
        try {
            String token;
            String projectId;
            try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                    "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local"))).start()) {
                ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
                token = api.post("/api/auth/register", null, Map.of("username", "filler", "email", "filler@example.com",
                        "password", "disk full password")).json().path("token").asText();
                projectId = api.post("/api/projects", token, Map.of("name", "before", "language", "python",
                        "files", Map.of("main.py", "print('before')"), "entry", "main.py")).json().path("id").asText();
                assertThat(api.put("/api/projects/" + projectId + "/files/kept.txt", token, bytes("kept")).status())
                        .isEqualTo(200);

                Path filler = dataDir.resolve("filler");
                fill(filler);

                byte[] big = new byte[1024 * 1024];
                Arrays.fill(big, (byte) 'x');
                for (ApiClient.Response full : List.of(
                        api.put("/api/projects/" + projectId + "/files/big.txt", token, big),
                        api.post("/api/projects", token, Map.of("name", "after", "language", "python",
                                "files", Map.of("main.py", new String(big, StandardCharsets.US_ASCII)), "entry", "main.py")))) {
                    assertThat(full.status()).as(full.text()).isEqualTo(507);
                    assertThat(full.errorCode()).isEqualTo("storage_full");
                    assertThat(full.json().path("error").path("message").asText()).contains("disk is full");
                    assertThat(full.text()).doesNotContain("Exception", "SQLITE", "\tat ");
                }
                assertThat(api.get("/api/projects/" + projectId + "/files/kept.txt", token).text()).isEqualTo("kept");
                assertThat(api.get("/api/projects/" + projectId + "/files/big.txt", token).status())
                        .as("nothing half-written").isEqualTo(404);
                assertThat(api.get("/api/projects", token).json().path("projects").findValuesAsText("name"))
                        .containsExactly("before");

                Files.delete(filler);
                assertThat(api.put("/api/projects/" + projectId + "/files/big.txt", token, big).status())
                        .as("saving works again once there is space, without a restart").isEqualTo(200);
                assertThat(api.get("/api/projects/" + projectId + "/files/big.txt", token).body()).isEqualTo(big);
            }

            try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("cloudrun.db"));
                 Statement statement = connection.createStatement()) {
                try (ResultSet check = statement.executeQuery("PRAGMA integrity_check")) {
                    assertThat(check.next()).isTrue();
                    assertThat(check.getString(1)).isEqualTo("ok");
                }
                try (ResultSet files = statement.executeQuery("SELECT path, size_bytes FROM project_files ORDER BY path")) {
                    StringBuilder rows = new StringBuilder();
                    while (files.next()) {
                        rows.append(files.getString(1)).append('=').append(files.getLong(2)).append(' ');
                    }
                    assertThat(rows.toString().strip()).isEqualTo("big.txt=1048576 kept.txt=4 main.py=15");
                }
            }
        } finally {
            command("umount", "-l", dataDir.toString());
            Files.deleteIfExists(dataDir);
        }
    }

    /** Writes to the file until the disk has no room left. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left");
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void command(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
    }
}
