package dev.cloudrun.server.compat.piston;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.Limits;
import dev.cloudrun.server.runs.RunSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Piston job request ({@code POST /api/v2/execute} body or the WebSocket's {@code init}), checked
 * in the order and with the messages of Piston's {@code get_job} (api/src/api/v2.js), and
 * translated to CloudRun's {@link RunSpec}.
 *
 * @param runtime the runtime chosen by {@code language} and {@code version}
 * @param spec what CloudRun runs
 */
record PistonJob(PistonRuntime runtime, RunSpec spec) {

    private static final List<String> CONSTRAINTS = List.of("memory_limit", "timeout", "cpu_time");
    private static final List<String> STAGES = List.of("compile", "run");

    /**
     * Reads and checks a request.
     *
     * @param body the JSON body (any JSON value; a non-object lacks every field, as in Piston)
     * @param runtimes the runtimes to choose from
     * @param ceiling CloudRun's largest limits, Piston's "configured limits"
     * @param interactive whether stdin stays open (the WebSocket; Piston ignores {@code stdin} there)
     * @return the job
     * @throws PistonError 400 with Piston's message
     */
    static PistonJob parse(JsonNode body, List<PistonRuntime> runtimes, Limits ceiling, boolean interactive) {
        JsonNode language = body.path("language");
        if (!language.isTextual() || language.asText().isEmpty()) {
            throw PistonError.badRequest("language is required as a string");
        }
        JsonNode version = body.path("version");
        if (!version.isTextual() || version.asText().isEmpty()) {
            throw PistonError.badRequest("version is required as a string");
        }
        JsonNode files = body.path("files");
        if (!files.isArray()) {
            throw PistonError.badRequest("files is required as an array");
        }
        for (int i = 0; i < files.size(); i++) {
            if (!files.get(i).path("content").isTextual()) {
                throw PistonError.badRequest("files[" + i + "].content is required as a string");
            }
        }
        PistonRuntime runtime = PistonRuntime.find(runtimes, language.asText(), version.asText()).orElseThrow(() ->
                PistonError.badRequest(shown(language.asText()) + "-" + shown(version.asText()) + " runtime is unknown"));
        boolean hasText = false;
        for (JsonNode file : files) {
            JsonNode encoding = file.path("encoding");
            hasText |= isAbsent(encoding) || "utf8".equals(encoding.asText(null));
        }
        if (!hasText) {
            throw PistonError.badRequest("files must include at least one utf8 encoded file");
        }
        Map<String, Double> limits = new LinkedHashMap<>();
        for (String constraint : CONSTRAINTS) {
            for (String stage : STAGES) {
                String name = stage + "_" + constraint;
                JsonNode value = body.path(name);
                // Piston skips every falsy value: absent, null, 0, false, "".
                if (isFalsy(value)) {
                    continue;
                }
                if (!value.isNumber()) {
                    throw PistonError.badRequest("If specified, " + name + " must be a number");
                }
                double requested = value.asDouble();
                // Piston's default configuration has no memory limit and clients send -1 for "none":
                // here a negative memory limit means the server's default.
                if (constraint.equals("memory_limit") && requested < 0) {
                    continue;
                }
                long configured = configuredLimit(ceiling, stage, constraint);
                if (requested > configured) {
                    throw PistonError.badRequest(name + " cannot exceed the configured limit of " + configured);
                }
                if (requested < 0) {
                    throw PistonError.badRequest(name + " must be non-negative");
                }
                limits.put(name, requested);
            }
        }
        return new PistonJob(runtime, spec(runtime, files, body, limits, interactive));
    }

    /** Piston's configured limit of a stage's constraint: CloudRun's ceiling, in milliseconds or bytes. */
    static long configuredLimit(Limits ceiling, String stage, String constraint) {
        return switch (constraint) {
            case "memory_limit" -> ceiling.memoryBytes();
            case "timeout" -> (stage.equals("run") ? ceiling.wallTime() : ceiling.compileTime()).toMillis();
            default -> (stage.equals("run") ? ceiling.cpuTime() : ceiling.compileTime()).toMillis();
        };
    }

    private static RunSpec spec(PistonRuntime runtime, JsonNode files, JsonNode body, Map<String, Double> limits,
                                boolean interactive) {
        Map<String, byte[]> written = new LinkedHashMap<>();
        String mainName = null;
        byte[] mainContent = null;
        for (int i = 0; i < files.size(); i++) {
            JsonNode file = files.get(i);
            JsonNode nameNode = file.path("name");
            if (!isFalsy(nameNode) && !nameNode.isTextual()) {
                throw PistonError.badRequest("files[" + i + "].name must be a string");
            }
            String name = isFalsy(nameNode) ? "file" + i + ".code" : nameNode.asText();
            String encoding = file.path("encoding").asText("utf8");
            byte[] content = decode(file.path("content").asText(), encoding, i);
            boolean text = !encoding.equals("base64") && !encoding.equals("hex");
            // Piston's main file is the first utf8 one (an unknown encoding is read as utf8 but does not count).
            boolean countsAsText = isAbsent(file.path("encoding")) || encoding.equals("utf8");
            if (mainContent == null && countsAsText && text) {
                mainName = name;
                mainContent = content;
            } else {
                written.put(name, content);
            }
        }
        // CloudRun names the main file itself (main.c, Main.java from its class) unless the client's
        // name is one its language compiles; Piston's default "file0.code" is not.
        boolean keepName = !runtime.cloudRunLanguage().derivesFileNameFromSource()
                && runtime.cloudRunLanguage().extensions().stream().anyMatch(mainName::endsWith);
        String source = null;
        String entry = null;
        if (keepName) {
            written.put(mainName, mainContent);
            entry = mainName;
        } else {
            source = new String(mainContent, StandardCharsets.UTF_8);
        }
        String stdin = null;
        if (!interactive) {
            JsonNode stdinNode = body.path("stdin");
            if (!isAbsent(stdinNode) && !stdinNode.isTextual()) {
                throw PistonError.badRequest("stdin must be a string");
            }
            stdin = stdinNode.asText("");
            // Piston adds a final newline when stdin lacks one.
            if (!stdin.endsWith("\n")) {
                stdin += "\n";
            }
        }
        List<String> args = new ArrayList<>();
        JsonNode argsNode = body.path("args");
        if (!isAbsent(argsNode)) {
            if (!argsNode.isArray()) {
                throw PistonError.badRequest("args must be an array of strings");
            }
            for (JsonNode arg : argsNode) {
                if (!arg.isTextual() && !arg.isNumber()) {
                    throw PistonError.badRequest("args must be an array of strings");
                }
                args.add(arg.asText());
            }
        }
        if (args.size() > RunSpec.MAX_ARGS
                || args.stream().mapToLong(arg -> arg.getBytes(StandardCharsets.UTF_8).length + 1L).sum() > RunSpec.MAX_ARG_BYTES) {
            throw PistonError.badRequest("args may hold at most " + RunSpec.MAX_ARGS + " arguments and "
                    + RunSpec.MAX_ARG_BYTES + " bytes");
        }
        Duration wallTime = limits.containsKey("run_timeout")
                ? Duration.ofMillis((long) Math.ceil(limits.get("run_timeout"))) : null;
        Long memoryBytes = limits.containsKey("run_memory_limit") ? (long) Math.ceil(limits.get("run_memory_limit")) : null;
        return new RunSpec(runtime.cloudRunLanguage().id(), source, written, entry, null, stdin, interactive,
                List.copyOf(args), wallTime, memoryBytes, false, false);
    }

    private static byte[] decode(String content, String encoding, int index) {
        switch (encoding) {
            case "base64":
                try {
                    return Base64.getMimeDecoder().decode(strictBase64(content, index));
                } catch (IllegalArgumentException e) {
                    throw PistonError.badRequest("files[" + index + "].content is not valid base64");
                }
            case "hex":
                try {
                    return HexFormat.of().parseHex(content);
                } catch (IllegalArgumentException e) {
                    throw PistonError.badRequest("files[" + index + "].content is not valid hex");
                }
            default:
                return content.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Piston (Node's Buffer) skips junk in base64 silently; CloudRun refuses it, so nothing runs on a garbled file. */
    private static String strictBase64(String content, int index) {
        String compact = content.replaceAll("\\s", "");
        if (!compact.matches("[A-Za-z0-9+/_-]*={0,2}") || compact.replace("=", "").length() % 4 == 1) {
            throw PistonError.badRequest("files[" + index + "].content is not valid base64");
        }
        String standard = compact.replace('-', '+').replace('_', '/');
        int padding = (4 - standard.length() % 4) % 4;
        return standard + "=".repeat(padding);
    }

    private static boolean isAbsent(JsonNode value) {
        return value.isMissingNode() || value.isNull();
    }

    private static boolean isFalsy(JsonNode value) {
        return isAbsent(value) || (value.isNumber() && value.asDouble() == 0) || (value.isBoolean() && !value.asBoolean())
                || (value.isTextual() && value.asText().isEmpty());
    }

    private static String shown(String value) {
        return dev.cloudrun.server.http.ApiError.shown(value);
    }
}
