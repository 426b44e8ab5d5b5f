package dev.cloudrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a client asked to run, as read from a {@code start} message or a {@code POST /api/runs} body.
 *
 * @param language language id or alias, or null to use the project's or infer it from the entry file
 * @param source the main program's text, or null when it is one of the files
 * @param files files sent inline (for a project: unsaved changes laid over the saved files)
 * @param entry the file to run, or null for the project's default or the only file
 * @param projectId the saved project to run, or null
 * @param stdin the whole standard input up front, or null
 * @param interactive whether stdin stays open for {@code stdin} messages
 * @param args the program's arguments
 * @param wallTime the requested wall-clock limit, or null for the default
 * @param memoryBytes the requested memory limit, or null for the default
 * @param autoInstall whether missing packages are installed and the program run again
 * @param terminal whether the program runs on a pseudo-terminal (terminal mode: one stream, in exact order)
 */
public record RunSpec(String language, String source, Map<String, byte[]> files, String entry, String projectId,
                      String stdin, boolean interactive, List<String> args, Duration wallTime, Long memoryBytes,
                      boolean autoInstall, boolean terminal) {

    /** The most arguments a run may have (far below what a sandbox's command line holds). */
    public static final int MAX_ARGS = 1000;
    /** The most bytes a run's arguments may take together (each counted with its terminating NUL). */
    public static final int MAX_ARG_BYTES = 64 * 1024;

    /**
     * Reads a spec.
     *
     * @param body the JSON object
     * @param interactiveByDefault whether stdin stays open when the body gives no {@code stdin}
     * @return the spec
     * @throws ApiError on a missing or mistyped field
     */
    public static RunSpec parse(ObjectNode body, boolean interactiveByDefault) {
        String stdin = Json.optionalText(body, "stdin").orElse(null);
        JsonNode interactiveNode = body.get("interactive");
        boolean interactive = stdin == null && (interactiveNode == null || interactiveNode.isNull()
                ? interactiveByDefault : interactiveNode.asBoolean());
        JsonNode filesNode = body.get("files");
        Map<String, byte[]> files = filesNode == null || filesNode.isNull() ? Map.of() : FileSpecs.parse(filesNode);
        String source = Json.optionalText(body, "source").orElse(null);
        String projectId = Json.optionalText(body, "projectId").orElse(null);
        if (source == null && files.isEmpty() && projectId == null) {
            throw ApiError.badField("missing_field", "source", "give source, files or projectId");
        }
        List<String> args = new ArrayList<>();
        JsonNode argsNode = body.get("args");
        if (argsNode != null && !argsNode.isNull()) {
            if (!argsNode.isArray()) {
                throw ApiError.badField("invalid_field", "args", "args must be an array of strings");
            }
            for (JsonNode arg : argsNode) {
                if (!arg.isTextual()) {
                    throw ApiError.badField("invalid_field", "args", "args must be an array of strings");
                }
                args.add(arg.asText());
                if (args.size() > MAX_ARGS) {
                    throw ApiError.badField("invalid_field", "args", "args may hold at most " + MAX_ARGS + " arguments");
                }
            }
            long argBytes = args.stream().mapToLong(arg -> arg.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
            if (argBytes > MAX_ARG_BYTES) {
                throw ApiError.badField("invalid_field", "args", "args may hold at most " + MAX_ARG_BYTES + " bytes in all");
            }
        }
        JsonNode limits = body.path("limits");
        Duration wallTime = null;
        Long memoryBytes = null;
        if (limits.isObject()) {
            if (limits.has("wallTimeMs")) {
                wallTime = Duration.ofMillis(number(limits, "wallTimeMs"));
            }
            if (limits.has("memoryBytes")) {
                memoryBytes = number(limits, "memoryBytes");
            }
        }
        JsonNode autoInstallNode = body.get("autoInstall");
        if (autoInstallNode != null && !autoInstallNode.isNull() && !autoInstallNode.isBoolean()) {
            throw ApiError.badField("invalid_field", "autoInstall", "autoInstall must be true or false");
        }
        boolean autoInstall = autoInstallNode != null && autoInstallNode.asBoolean(false);
        JsonNode terminalNode = body.get("terminal");
        if (terminalNode != null && !terminalNode.isNull() && !terminalNode.isBoolean()) {
            throw ApiError.badField("invalid_field", "terminal", "terminal must be true or false");
        }
        boolean terminal = terminalNode != null && terminalNode.asBoolean(false);
        return new RunSpec(Json.optionalText(body, "language").orElse(null), source, files,
                Json.optionalText(body, "entry").orElse(null), projectId, stdin, interactive, List.copyOf(args),
                wallTime, memoryBytes, autoInstall, terminal);
    }

    private static long number(JsonNode limits, String field) {
        JsonNode value = limits.get(field);
        if (!value.canConvertToLong()) {
            throw ApiError.badField("invalid_field", "limits." + field, "limits." + field + " must be a whole number");
        }
        return value.asLong();
    }
}
