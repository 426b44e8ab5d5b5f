package dev.cloudrun.server.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.projects.ProjectPaths;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads files sent inside JSON: either an object {@code {"main.py": "print(1)"}} or an array
 * {@code [{"path": "logo.png", "content": "iVBOR...", "encoding": "base64"}]}; text is stored as
 * UTF-8, {@code base64} content byte for byte.
 */
public final class FileSpecs {
    private FileSpecs() { }

    /**
     * Parses the {@code files} field.
     *
     * @param files the JSON value
     * @return the files' bytes by path, in the order given (paths are checked later)
     * @throws ApiError {@code invalid_field} when the shape is wrong
     */
    public static Map<String, byte[]> parse(JsonNode files) {
        Map<String, byte[]> result = new LinkedHashMap<>();
        if (files.isObject()) {
            for (Map.Entry<String, JsonNode> field : files.properties()) {
                JsonNode value = field.getValue();
                if (value.isTextual()) {
                    result.put(field.getKey(), value.asText().getBytes(StandardCharsets.UTF_8));
                } else if (value.isObject()) {
                    result.put(field.getKey(), content(value, ProjectPaths.fileField(field.getKey())));
                } else {
                    throw ApiError.badField("invalid_field", ProjectPaths.fileField(field.getKey()), "a file's content must be a string");
                }
            }
        } else if (files.isArray()) {
            int index = 0;
            for (JsonNode file : files) {
                String field = "files[" + index++ + "]";
                if (!file.isObject() || !file.path("path").isTextual()) {
                    throw ApiError.badField("invalid_field", field, "each file needs a path and a content");
                }
                result.put(file.get("path").asText(), content(file, field));
            }
        } else {
            throw ApiError.badField("invalid_field", "files", "files must be an object of path to text, or an array of {path, content, encoding}");
        }
        return result;
    }

    private static byte[] content(JsonNode file, String field) {
        JsonNode content = file.get("content");
        if (content == null || !content.isTextual()) {
            throw ApiError.badField("invalid_field", field + ".content", "content must be a string");
        }
        String encoding = file.path("encoding").asText("utf8");
        switch (encoding) {
            case "utf8":
            case "utf-8":
            case "text":
                return content.asText().getBytes(StandardCharsets.UTF_8);
            case "base64":
                try {
                    return Base64.getDecoder().decode(content.asText());
                } catch (IllegalArgumentException e) {
                    throw ApiError.badField("invalid_field", field + ".content", "content is not valid base64");
                }
            default:
                throw ApiError.badField("invalid_field", field + ".encoding", "encoding must be utf8 or base64");
        }
    }
}
