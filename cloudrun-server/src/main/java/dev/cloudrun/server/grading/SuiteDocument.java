package dev.cloudrun.server.grading;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.Checker;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestGroup;
import dev.cloudrun.TestSuite;
import dev.cloudrun.internal.grading.Quantities;
import dev.cloudrun.server.http.ApiError;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A test suite written as JSON, the form problems and inline suites take in the API:
 *
 * <pre>{@code
 * {"cases": [{"name": "1", "input": "2 3\n", "output": "5\n", "points": 1},
 *            {"name": "big", "inputBase64": "...", "outputBase64": "...", "timeLimit": "2s"},
 *            {"name": "io", "files": {"data.txt": "1 2"}, "expectedFiles": {"out.txt": {"base64": "..."}}}],
 *  "groups": [{"name": "subtask 1", "points": 40, "cases": ["1", "big"]}],
 *  "timeLimit": "1s", "memoryLimit": "256m", "outputLimit": "1m",
 *  "fileIo": {"input": "input.txt", "output": "output.txt"},
 *  "checker": "lines" | "tokens" | "exact" | {"type": "numbers", "absolute": 1e-6, "relative": 1e-6}
 *             | {"type": "program", "language": "cpp", "source": "..."}}
 * }</pre>
 *
 * The same keys as a folder's {@code suite.json}. Every error names its field, from the given prefix
 * ({@code cases[2].output}, {@code suite.checker.language}).
 */
final class SuiteDocument {
    private SuiteDocument() { }

    /**
     * Reads a suite.
     *
     * @param node the JSON object
     * @param prefix the field prefix for errors ("" or "suite.")
     * @return the validated suite
     * @throws ApiError 400 naming the field
     */
    static TestSuite read(JsonNode node, String prefix) {
        try {
            return parse(node, prefix);
        } catch (InvalidRequestException e) {
            throw ApiError.badField("invalid_suite", e.field(), e.getMessage());
        }
    }

    /** The problem an SDK error states, without its field. */
    static String problem(InvalidRequestException e) {
        String message = e.getMessage();
        return message.startsWith(e.field() + ": ") ? message.substring(e.field().length() + 2) : message;
    }

    private static TestSuite parse(JsonNode node, String prefix) {
        if (node == null || !node.isObject()) {
            throw new InvalidRequestException(prefix.isEmpty() ? "suite" : prefix.substring(0, prefix.length() - 1),
                    "must be a JSON object with \"cases\"");
        }
        JsonNode cases = node.get("cases");
        if (cases == null || !cases.isArray() || cases.isEmpty()) {
            throw new InvalidRequestException(prefix + "cases", "must be a non-empty array of test cases");
        }
        List<TestCase> parsed = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String field = prefix + "cases[" + i + "]";
            try {
                parsed.add(testCase(cases.get(i), field, i + 1));
            } catch (InvalidRequestException e) {
                // The SDK names a case's field by the case's name ("cases[a].points") or not at all ("points").
                String named = e.field().startsWith("cases[") ? prefix + e.field() : field + "." + e.field();
                throw e.field().startsWith(field) ? e : new InvalidRequestException(named, problem(e));
            }
        }
        TestSuite suite = TestSuite.of(parsed);
        JsonNode groups = node.get("groups");
        if (groups != null && !groups.isNull()) {
            if (!groups.isArray()) {
                throw new InvalidRequestException(prefix + "groups", "must be an array");
            }
            for (int i = 0; i < groups.size(); i++) {
                String field = prefix + "groups[" + i + "]";
                JsonNode group = groups.get(i);
                List<String> members = new ArrayList<>();
                JsonNode memberNodes = group.path("cases");
                if (!memberNodes.isArray()) {
                    throw new InvalidRequestException(field + ".cases", "must be an array of case names");
                }
                memberNodes.forEach(member -> members.add(member.asText()));
                suite = suite.withGroup(new TestGroup(text(group, "name", field, "group " + (i + 1)),
                        number(group, "points", field, 0), members));
            }
        }
        if (node.hasNonNull("timeLimit")) {
            suite = suite.withTimeLimit(duration(node, "timeLimit", prefix));
        }
        if (node.hasNonNull("memoryLimit")) {
            suite = suite.withMemoryLimit(Quantities.bytes(prefix + "memoryLimit", node.get("memoryLimit").asText()));
        }
        if (node.hasNonNull("outputLimit")) {
            long outputBytes = Quantities.bytes(prefix + "outputLimit", node.get("outputLimit").asText());
            suite = suite.withLimits(limits -> limits.withMaxOutputBytes(outputBytes));
        }
        if (node.hasNonNull("fileIo")) {
            JsonNode fileIo = node.get("fileIo");
            suite = suite.withFileIo(text(fileIo, "input", prefix + "fileIo", "input.txt"),
                    text(fileIo, "output", prefix + "fileIo", "output.txt"));
        }
        if (node.hasNonNull("checker")) {
            suite = suite.withChecker(checker(node.get("checker"), prefix + "checker"));
        }
        suite.validate();
        return suite;
    }

    private static TestCase testCase(JsonNode node, String field, int position) {
        if (!node.isObject()) {
            throw new InvalidRequestException(field, "must be an object");
        }
        String name = text(node, "name", field, String.valueOf(position));
        byte[] input = content(node, "input", field);
        byte[] output = content(node, "output", field);
        byte[] stdin = input == null ? new byte[0] : input;
        // A case without an expected output is judged by its expected files alone.
        TestCase testCase = output == null ? TestCase.withInput(name, new String(stdin, StandardCharsets.UTF_8))
                : TestCase.of(name, stdin, output);
        if (node.has("points")) {
            testCase = testCase.withPoints(number(node, "points", field, 1));
        }
        for (Map.Entry<String, byte[]> file : files(node.get("files"), field + ".files").entrySet()) {
            testCase = testCase.withFile(file.getKey(), file.getValue());
        }
        for (Map.Entry<String, byte[]> file : files(node.get("expectedFiles"), field + ".expectedFiles").entrySet()) {
            testCase = testCase.withExpectedFile(file.getKey(), file.getValue());
        }
        if (node.hasNonNull("timeLimit")) {
            Duration cpu = duration(node, "timeLimit", field + ".");
            testCase = testCase.withLimits(limits -> limits.withCpuTime(cpu).withWallTime(cpu.multipliedBy(2).plusSeconds(1)));
        }
        if (node.hasNonNull("memoryLimit")) {
            long bytes = Quantities.bytes(field + ".memoryLimit", node.get("memoryLimit").asText());
            testCase = testCase.withLimits(limits -> limits.withMemoryBytes(bytes));
        }
        return testCase;
    }

    /** {@code "input": "text"} or {@code "inputBase64": "..."}; null when neither is there. */
    private static byte[] content(JsonNode node, String name, String field) {
        JsonNode text = node.get(name);
        JsonNode base64 = node.get(name + "Base64");
        if (text != null && !text.isNull() && base64 != null && !base64.isNull()) {
            throw new InvalidRequestException(field + "." + name, "give " + name + " or " + name + "Base64, not both");
        }
        if (text != null && !text.isNull()) {
            if (!text.isTextual()) {
                throw new InvalidRequestException(field + "." + name, "must be a string");
            }
            return text.asText().getBytes(StandardCharsets.UTF_8);
        }
        if (base64 != null && !base64.isNull()) {
            return decode(base64, field + "." + name + "Base64");
        }
        return null;
    }

    /** {@code {"path": "text"}} or {@code {"path": {"base64": "..."}}}. */
    static Map<String, byte[]> files(JsonNode node, String field) {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return files;
        }
        if (!node.isObject()) {
            throw new InvalidRequestException(field, "must be an object of path to content");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String entryField = field + "[" + ApiError.shown(entry.getKey()) + "]";
            JsonNode value = entry.getValue();
            if (value.isTextual()) {
                files.put(entry.getKey(), value.asText().getBytes(StandardCharsets.UTF_8));
            } else if (value.isObject() && value.hasNonNull("base64")) {
                files.put(entry.getKey(), decode(value.get("base64"), entryField + ".base64"));
            } else if (value.isObject() && value.hasNonNull("text")) {
                files.put(entry.getKey(), value.get("text").asText().getBytes(StandardCharsets.UTF_8));
            } else {
                throw new InvalidRequestException(entryField, "must be a string or {\"base64\": \"...\"}");
            }
        }
        return files;
    }

    private static byte[] decode(JsonNode value, String field) {
        if (!value.isTextual()) {
            throw new InvalidRequestException(field, "must be a base64 string");
        }
        try {
            return Base64.getDecoder().decode(value.asText().replaceAll("\\s+", ""));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, "is not valid base64");
        }
    }

    private static Checker checker(JsonNode node, String field) {
        String type = node.isTextual() ? node.asText() : node.path("type").asText("");
        return switch (type) {
            case "lines" -> Checker.lines();
            case "tokens" -> Checker.tokens();
            case "exact" -> Checker.exact();
            case "numbers" -> Checker.numbers(number(node, "absolute", field, 1e-9), number(node, "relative", field, 1e-9));
            case "program" -> Checker.program(requiredText(node, "language", field), requiredText(node, "source", field));
            default -> throw new InvalidRequestException(field,
                    "must be lines, tokens, exact, {\"type\": \"numbers\", ...} or {\"type\": \"program\", \"language\", \"source\"}");
        };
    }

    private static String requiredText(JsonNode node, String name, String field) {
        JsonNode value = node.get(name);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new InvalidRequestException(field + "." + name, "is required (a string)");
        }
        return value.asText();
    }

    private static String text(JsonNode node, String name, String field, String fallback) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isTextual() && !value.isNumber()) {
            throw new InvalidRequestException(field + "." + name, "must be a string");
        }
        return value.asText();
    }

    private static double number(JsonNode node, String name, String field, double fallback) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new InvalidRequestException(field + "." + name, "must be a number");
        }
        return value.asDouble();
    }

    private static Duration duration(JsonNode node, String name, String prefix) {
        JsonNode value = node.get(name);
        if (value.isNumber()) {
            // A bare number is seconds, as Judge0's cpu_time_limit.
            return Duration.ofMillis(Math.round(value.asDouble() * 1000));
        }
        return Quantities.duration(prefix + name, value.asText());
    }
}
