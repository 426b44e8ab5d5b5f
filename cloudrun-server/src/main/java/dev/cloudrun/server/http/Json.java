package dev.cloudrun.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.util.Optional;

/** The server's one JSON mapper and helpers to read request fields with precise errors. */
public final class Json {
    /** The shared mapper (thread-safe once configured). */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .findAndRegisterModules();

    private Json() { }

    /**
     * Parses a text as a JSON object.
     *
     * @param text the JSON
     * @return the object
     * @throws ApiError {@code malformed_json} if the text is not a JSON object
     */
    public static ObjectNode parseObject(String text) {
        JsonNode node;
        try {
            node = MAPPER.readTree(text == null ? "" : text);
        } catch (JsonProcessingException e) {
            throw ApiError.of(400, "malformed_json", "the body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw ApiError.of(400, "malformed_json", "the body must be a JSON object");
        }
        return (ObjectNode) node;
    }

    /**
     * Parses the request body as a JSON object.
     *
     * @param ctx the request
     * @return the object
     */
    public static ObjectNode body(Context ctx) {
        return parseObject(ctx.body());
    }

    /**
     * A required text field.
     *
     * @param node the object
     * @param field the field name
     * @return the value
     * @throws ApiError {@code missing_field} or {@code invalid_field}
     */
    public static String requiredText(JsonNode node, String field) {
        return optionalText(node, field).orElseThrow(() ->
                ApiError.badField("missing_field", field, field + " is required"));
    }

    /**
     * An optional text field.
     *
     * @param node the object
     * @param field the field name
     * @return the value, empty when absent or null
     * @throws ApiError {@code invalid_field} when present but not a string
     */
    public static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw ApiError.badField("invalid_field", field, field + " must be a string");
        }
        return Optional.of(value.asText());
    }

    /**
     * Serialises a value.
     *
     * @param value the value
     * @return its JSON text
     */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass(), e);
        }
    }
}
