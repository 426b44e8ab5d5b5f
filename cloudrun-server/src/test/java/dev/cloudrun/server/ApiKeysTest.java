package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /api/keys} on a real server with its SQLite file: a signed-in user makes, lists and revokes
 * keys; a key authenticates {@code POST /api/runs} when it has scope {@code run}, and nothing that
 * needs a session; the database keeps only the secret's hash.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiKeysTest {
    private static final Map<String, String> HELLO = Map.of("language", "python", "source", "print('hello from a key')");

    private Path dataDir;
    private CloudRunServer server;
    private ApiClient api;

    @BeforeAll
    void startServer(@TempDir Path temporaryDirectory) {
        dataDir = temporaryDirectory;
        server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local",
                "CLOUDRUN_IP_REQUESTS_PER_MINUTE", "100000", "CLOUDRUN_GUESTS_PER_IP_PER_HOUR", "1000",
                "CLOUDRUN_REGISTRATIONS_PER_IP_PER_HOUR", "1000", "CLOUDRUN_USER_RUNS_PER_MINUTE", "1000",
                "CLOUDRUN_IP_RUNS_PER_MINUTE", "1000"))).start();
        api = new ApiClient("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    void stopServer() {
        if (server != null) {
            server.stop();
        }
    }

    private String register() {
        String username = "u" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        ApiClient.Response response = api.post("/api/auth/register", null,
                Map.of("username", username, "email", username + "@example.com", "password", "correct horse battery"));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json().path("token").asText();
    }

    private JsonNode makeKey(String session, String name, List<String> scopes) {
        ApiClient.Response response = api.post("/api/keys", session, Map.of("name", name, "scopes", scopes));
        assertThat(response.status()).as(response.text()).isEqualTo(201);
        return response.json();
    }

    private static void assertError(ApiClient.Response response, int status, String code) {
        assertThat(response.status()).as(response.text()).isEqualTo(status);
        assertThat(response.errorCode()).isEqualTo(code);
    }

    @Test
    void a_new_key_is_shown_once_with_its_signing_secret_and_listed_without_either() {
        String session = register();
        JsonNode created = makeKey(session, "Moodle", List.of("run", "grade"));
        String id = created.path("id").asText();
        assertThat(created.path("name").asText()).isEqualTo("Moodle");
        assertThat(texts(created.path("scopes"))).containsExactly("grade", "run");
        assertThat(created.path("prefix").asText()).isEqualTo("cr_" + id);
        assertThat(created.path("key").asText()).matches("cr_" + id + "_[A-Za-z0-9_-]{43}");
        assertThat(created.path("signingSecret").asText()).startsWith("whsec_");
        assertThat(created.path("createdAt").asLong()).isPositive();
        assertThat(created.path("lastUsedAt").isNull()).isTrue();

        ApiClient.Response listed = api.get("/api/keys", session);
        assertThat(listed.status()).isEqualTo(200);
        JsonNode keys = listed.json().path("keys");
        assertThat(keys).hasSize(1);
        JsonNode entry = keys.get(0);
        assertThat(entry.path("id").asText()).isEqualTo(id);
        assertThat(entry.path("prefix").asText()).isEqualTo("cr_" + id);
        assertThat(texts(entry.path("scopes"))).containsExactly("grade", "run");
        assertThat(entry.has("key")).isFalse();
        assertThat(entry.has("signingSecret")).isFalse();
        assertThat(listed.text()).doesNotContain(created.path("key").asText(), secretOf(created.path("key").asText()));
    }

    @Test
    void scopes_default_to_grade_and_keys_are_listed_oldest_first() {
        String session = register();
        ApiClient.Response first = api.post("/api/keys", session, Map.of("name", "contest system"));
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        assertThat(texts(first.json().path("scopes"))).containsExactly("grade");
        makeKey(session, "second", List.of("run"));
        assertThat(api.get("/api/keys", session).json().path("keys").findValuesAsText("name"))
                .containsExactly("contest system", "second");
    }

    @Test
    void a_key_with_scope_run_runs_code_and_records_when_it_was_used() {
        String session = register();
        String key = makeKey(session, "runner", List.of("run")).path("key").asText();

        ApiClient.Response run = api.post("/api/runs", key, HELLO);
        assertThat(run.status()).as(run.text()).isEqualTo(200);
        assertThat(run.json().path("status").asText()).isEqualTo("OK");
        assertThat(run.json().path("stdout").asText()).isEqualTo("hello from a key\n");
        // The run belongs to the key's owner.
        assertThat(api.get("/api/runs", session).json().path("runs")).hasSize(1);
        assertThat(api.get("/api/keys", session).json().path("keys").get(0).path("lastUsedAt").asLong()).isPositive();
    }

    @Test
    void a_key_without_scope_run_cannot_run_code() {
        String session = register();
        String key = makeKey(session, "grader", List.of("grade")).path("key").asText();
        assertError(api.post("/api/runs", key, HELLO), 403, "scope_missing");
    }

    @Test
    void a_key_does_not_stand_in_for_a_session() {
        String session = register();
        String key = makeKey(session, "everything", List.of("grade", "run")).path("key").asText();
        assertError(api.get("/api/projects", key), 401, "unauthorized");
        assertError(api.post("/api/projects", key, Map.of("name", "by key")), 401, "unauthorized");
        assertError(api.get("/api/runs", key), 401, "unauthorized");
        assertError(api.get("/api/keys", key), 403, "session_required");
        assertError(api.post("/api/keys", key, Map.of("name", "child")), 403, "session_required");
        assertError(api.delete("/api/keys/" + key.split("_")[1], key), 403, "session_required");
        assertThat(api.get("/api/keys", session).json().path("keys")).hasSize(1);
    }

    @Test
    void a_wrong_or_malformed_key_is_unauthorized() {
        String session = register();
        String key = makeKey(session, "runner", List.of("run")).path("key").asText();
        String secret = secretOf(key);
        String wrongSecret = key.substring(0, key.length() - secret.length()) + (secret.charAt(0) == 'A' ? 'B' : 'A')
                + secret.substring(1);
        assertError(api.post("/api/runs", wrongSecret, HELLO), 401, "unauthorized");
        assertError(api.post("/api/runs", "cr_nonsense", HELLO), 401, "unauthorized");
    }

    @Test
    void a_revoked_key_stops_working_at_once() {
        String session = register();
        JsonNode created = makeKey(session, "soon gone", List.of("run"));
        String key = created.path("key").asText();
        assertThat(api.post("/api/runs", key, HELLO).status()).isEqualTo(200);

        ApiClient.Response revoked = api.delete("/api/keys/" + created.path("id").asText(), session);
        assertThat(revoked.status()).as(revoked.text()).isEqualTo(204);
        assertError(api.post("/api/runs", key, HELLO), 401, "unauthorized");
        assertThat(api.get("/api/keys", session).json().path("keys")).isEmpty();
        assertError(api.delete("/api/keys/" + created.path("id").asText(), session), 404, "not_found");
    }

    @Test
    void guests_cannot_make_keys() {
        ApiClient.Response guest = api.post("/api/auth/guest", null, Map.of());
        String token = guest.json().path("token").asText();
        assertError(api.post("/api/keys", token, Map.of("name", "Moodle")), 403, "guest_not_allowed");
        assertThat(api.get("/api/keys", token).json().path("keys")).isEmpty();
        assertError(api.get("/api/keys", null), 401, "unauthorized");
    }

    @Test
    void another_users_key_or_an_unknown_one_is_not_found() {
        String owner = register();
        JsonNode created = makeKey(owner, "mine", List.of("run"));
        String intruder = register();
        assertError(api.delete("/api/keys/" + created.path("id").asText(), intruder), 404, "not_found");
        assertError(api.delete("/api/keys/doesnotexist0000", owner), 404, "not_found");
        assertThat(api.get("/api/keys", intruder).json().path("keys")).isEmpty();
        assertThat(api.get("/api/keys", owner).json().path("keys")).hasSize(1);
        assertThat(api.post("/api/runs", created.path("key").asText(), HELLO).status()).isEqualTo(200);
    }

    @Test
    void bad_input_names_the_field() {
        String session = register();
        assertBadField(api.post("/api/keys", session, Map.of()), "name");
        assertBadField(api.post("/api/keys", session, Map.of("name", "  ")), "name");
        assertBadField(api.post("/api/keys", session, Map.of("name", "x".repeat(101))), "name");
        assertBadField(api.post("/api/keys", session, Map.of("name", "tab\there")), "name");
        assertBadField(api.post("/api/keys", session, Map.of("name", "ok", "scopes", List.of())), "scopes");
        assertBadField(api.post("/api/keys", session, Map.of("name", "ok", "scopes", "grade")), "scopes");
        assertBadField(api.post("/api/keys", session, Map.of("name", "ok", "scopes", List.of("grade", "admin"))), "scopes[1]");
        assertBadField(api.post("/api/keys", session, Map.of("name", "ok", "scopes", List.of(7))), "scopes[0]");
        assertThat(api.get("/api/keys", session).json().path("keys")).isEmpty();
    }

    private static void assertBadField(ApiClient.Response response, String field) {
        assertThat(response.status()).as(response.text()).isEqualTo(400);
        assertThat(response.json().path("error").path("field").asText()).isEqualTo(field);
    }

    @Test
    void a_user_has_at_most_twenty_live_keys() {
        String session = register();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(makeKey(session, "key " + i, List.of("grade")).path("id").asText());
        }
        ApiClient.Response tooMany = api.post("/api/keys", session, Map.of("name", "one more"));
        assertError(tooMany, 409, "too_many_keys");
        assertThat(api.get("/api/keys", session).json().path("keys")).hasSize(20);
        // Another user is not affected; a revoked key frees its place.
        makeKey(register(), "elsewhere", List.of("grade"));
        assertThat(api.delete("/api/keys/" + ids.get(0), session).status()).isEqualTo(204);
        makeKey(session, "one more", List.of("grade"));
    }

    @Test
    void the_database_keeps_no_secret() throws Exception {
        String session = register();
        List<String> tokens = new ArrayList<>();
        for (String name : List.of("first", "second")) {
            tokens.add(makeKey(session, name, List.of("grade", "run")).path("key").asText());
        }
        assertThat(api.post("/api/runs", tokens.get(0), HELLO).status()).isEqualTo(200);

        StringBuilder rows = new StringBuilder();
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("cloudrun.db"));
             Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT * FROM api_keys")) {
            ResultSetMetaData columns = result.getMetaData();
            while (result.next()) {
                for (int column = 1; column <= columns.getColumnCount(); column++) {
                    rows.append(columns.getColumnName(column)).append('=').append(result.getString(column)).append(' ');
                }
                rows.append('\n');
            }
        }
        for (String token : tokens) {
            String id = token.split("_")[1];
            assertThat(rows.toString()).contains("id=" + id).doesNotContain(token, secretOf(token));
        }
        // What is kept is the SHA-256 of the secret, in hex.
        assertThat(rows.toString()).containsPattern("secret_hash=[0-9a-f]{64} ");
    }

    @Test
    void the_openapi_document_describes_the_key_endpoints() {
        JsonNode paths = api.get("/api/openapi.json", null).json().path("paths");
        assertThat(paths.path("/api/keys").has("get")).isTrue();
        assertThat(paths.path("/api/keys").has("post")).isTrue();
        assertThat(paths.path("/api/keys/{id}").has("delete")).isTrue();
        assertThat(paths.path("/api/runs").path("post").path("security").findValues("apiKey")).hasSize(1);
    }

    /** The secret part of {@code cr_<id>_<secret>} (the secret may itself contain '_'). */
    private static String secretOf(String token) {
        return token.substring("cr_".length() + 16 + 1);
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
