package dev.cloudrun.mcp;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One tool call's arguments, read with the checks every tool shares: types, required fields,
 * unknown fields, and the policy's size caps. Every refusal names the field.
 */
final class ToolArguments {
    private final Map<String, Object> values;

    private ToolArguments(Map<String, Object> values) {
        this.values = values;
    }

    /**
     * @param arguments the call's arguments (null for none)
     * @param known the fields the tool's schema declares
     * @return the arguments
     * @throws ToolInputException for a field the schema does not declare
     */
    static ToolArguments of(Map<String, Object> arguments, Set<String> known) {
        Map<String, Object> values = arguments == null ? Map.of() : arguments;
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw ToolInputException.field(name, "unknown argument; this tool takes " + String.join(", ", known));
            }
        }
        return new ToolArguments(values);
    }

    String requiredString(String field) {
        Object value = values.get(field);
        if (value == null) {
            throw ToolInputException.field(field, "is required");
        }
        if (!(value instanceof String text)) {
            throw ToolInputException.field(field, "must be a string");
        }
        return text;
    }

    String optionalString(String field, String otherwise) {
        return values.get(field) == null ? otherwise : requiredString(field);
    }

    boolean optionalBoolean(String field, boolean otherwise) {
        Object value = values.get(field);
        if (value == null) {
            return otherwise;
        }
        if (!(value instanceof Boolean flag)) {
            throw ToolInputException.field(field, "must be true or false");
        }
        return flag;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> optionalObject(String field) {
        Object value = values.get(field);
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw ToolInputException.field(field, "must be an object");
        }
        return (Map<String, Object>) map;
    }

    List<String> requiredStrings(String field, int max) {
        Object value = values.get(field);
        if (!(value instanceof List<?> list) || list.isEmpty()) {
            throw ToolInputException.field(field, "must be a non-empty array of strings");
        }
        if (list.size() > max) {
            throw ToolInputException.field(field, "holds " + list.size() + " entries, at most " + max + " allowed");
        }
        for (Object entry : list) {
            if (!(entry instanceof String)) {
                throw ToolInputException.field(field, "must be an array of strings");
            }
        }
        @SuppressWarnings("unchecked")
        List<String> strings = (List<String>) list;
        return List.copyOf(strings);
    }

    /**
     * Reads {@code files}: an object from relative path to text, or to {@code {"base64": "..."}} for
     * bytes. Paths are checked where they are used (the SDK's own path rules).
     */
    Map<String, byte[]> files(String field, McpPolicy policy) {
        Map<String, Object> raw = optionalObject(field);
        if (raw.size() > policy.maxFiles()) {
            throw ToolInputException.field(field, "holds " + raw.size() + " files, at most " + policy.maxFiles() + " allowed");
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : raw.entrySet()) {
            String name = field + "." + entry.getKey();
            checkPath(name, entry.getKey());
            files.put(entry.getKey(), content(name, entry.getValue(), policy.maxFileBytes()));
        }
        return files;
    }

    /**
     * @param field the argument's name
     * @param value a string, or {@code {"base64": "..."}}
     * @param maxBytes the cap
     * @return its bytes
     */
    static byte[] content(String field, Object value, int maxBytes) {
        byte[] bytes;
        if (value instanceof String text) {
            if (text.length() > maxBytes) {
                throw tooLarge(field, text.length(), maxBytes);
            }
            bytes = text.getBytes(StandardCharsets.UTF_8);
        } else if (value instanceof Map<?, ?> map && map.size() == 1 && map.get("base64") instanceof String encoded) {
            if (encoded.length() > (maxBytes / 3 + 1) * 4 + 4) {
                throw tooLarge(field, encoded.length() / 4L * 3, maxBytes);
            }
            try {
                bytes = Base64.getDecoder().decode(encoded);
            } catch (IllegalArgumentException e) {
                throw ToolInputException.field(field, "is not valid base64: " + e.getMessage());
            }
        } else {
            throw ToolInputException.field(field, "must be a string, or an object {\"base64\": \"...\"}");
        }
        if (bytes.length > maxBytes) {
            throw tooLarge(field, bytes.length, maxBytes);
        }
        return bytes;
    }

    private static ToolInputException tooLarge(String field, long size, int maxBytes) {
        return ToolInputException.field(field, "is larger than the " + maxBytes + " bytes allowed (" + size + ")");
    }

    /**
     * Refuses what is not a plain relative path inside the sandbox's folder, before the SDK sees it.
     *
     * @param field the argument's name
     * @param path the path
     */
    static void checkPath(String field, String path) {
        if (path == null || path.isBlank()) {
            throw ToolInputException.field(field, "the path is empty");
        }
        if (path.startsWith("/") || path.startsWith("\\") || path.matches("^[A-Za-z]:.*")) {
            throw ToolInputException.field(field, "must be a relative path, not absolute: " + path);
        }
        for (String segment : path.split("[/\\\\]", -1)) {
            if (segment.equals("..")) {
                throw ToolInputException.field(field, "must not contain '..': " + path);
            }
        }
    }
}
