package dev.cloudrun.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OpenAPI document describes the compatible APIs, each under its tag, and every reference in it resolves. */
class CompatOpenApiTest {

    @Test
    void the_openapi_document_describes_the_facades_under_their_tags(@TempDir Path dataDir) {
        try (CloudRunServer server = CloudRunServer.create(ServerConfig.of(Map.of("CLOUDRUN_PORT", "0",
                "CLOUDRUN_DATA_DIR", dataDir.toString(), "CLOUDRUN_BACKEND", "local"))).start()) {
            ApiClient api = new ApiClient("http://127.0.0.1:" + server.port());
            JsonNode document = api.get("/api/openapi.json", null).json();
            JsonNode tags = document.path("tags");
            assertThat(tags.findValuesAsText("name")).containsExactly("Jobe", "Piston", "Judge0");
            tags.forEach(tag -> assertThat(tag.path("description").asText()).contains("CLOUDRUN_COMPAT"));
            JsonNode paths = document.path("paths");
            Map<String, String> tagged = Map.ofEntries(
                    Map.entry("/jobe/index.php/restapi/runs", "Jobe"), Map.entry("/jobe/index.php/restapi/files/{id}", "Jobe"),
                    Map.entry("/jobe/index.php/restapi/languages", "Jobe"), Map.entry("/api/v2/execute", "Piston"),
                    Map.entry("/api/v2/runtimes", "Piston"), Map.entry("/judge0/submissions", "Judge0"),
                    Map.entry("/judge0/submissions/{token}", "Judge0"), Map.entry("/judge0/submissions/batch", "Judge0"),
                    Map.entry("/judge0/languages/all", "Judge0"), Map.entry("/judge0/statistics", "Judge0"));
            tagged.forEach((path, tag) -> {
                assertThat(paths.has(path)).as(path).isTrue();
                paths.path(path).fields().forEachRemaining(operation -> {
                    if (!operation.getKey().equals("parameters")) {
                        assertThat(operation.getValue().path("tags").get(0).asText()).as(path + " " + operation.getKey()).isEqualTo(tag);
                    }
                });
            });
            JsonNode judge0Create = paths.path("/judge0/submissions").path("post");
            assertThat(judge0Create.path("requestBody").path("content").path("application/json").path("schema").path("$ref").asText())
                    .isEqualTo("#/components/schemas/Judge0NewSubmission");
            assertThat(judge0Create.path("responses").has("413")).isTrue();
            assertThat(document.path("components").path("schemas").path("Judge0NewSubmission").path("properties").has("number_of_runs"))
                    .isTrue();
            List<String> references = new ArrayList<>();
            collectReferences(document, references);
            assertThat(references).isNotEmpty().allSatisfy(reference -> {
                assertThat(reference).startsWith("#/");
                assertThat(document.at(reference.substring(1)).isMissingNode()).as(reference).isFalse();
            });
        }
    }

    private static void collectReferences(JsonNode node, List<String> references) {
        if (node.isObject()) {
            node.fields().forEachRemaining(field -> {
                if (field.getKey().equals("$ref")) {
                    references.add(field.getValue().asText());
                } else {
                    collectReferences(field.getValue(), references);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collectReferences(child, references));
        }
    }
}
