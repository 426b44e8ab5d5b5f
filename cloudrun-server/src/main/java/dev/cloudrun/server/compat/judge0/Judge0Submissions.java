package dev.cloudrun.server.compat.judge0;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloudrun.server.http.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Judge0's SubmissionSerializer and its {@code fields} (app/services/fields/submission.rb). */
final class Judge0Submissions {
    /** Every attribute: the submissions table's columns (not {@code id}), {@code status} and {@code language}. */
    static final List<String> AVAILABLE_FIELDS = List.of("source_code", "language_id", "stdin", "expected_output", "stdout",
            "status_id", "created_at", "finished_at", "time", "memory", "stderr", "token", "number_of_runs",
            "cpu_time_limit", "cpu_extra_time", "wall_time_limit", "memory_limit", "stack_limit",
            "max_processes_and_or_threads", "enable_per_process_and_thread_time_limit",
            "enable_per_process_and_thread_memory_limit", "max_file_size", "compile_output", "exit_code", "exit_signal",
            "message", "wall_time", "compiler_options", "command_line_arguments", "redirect_stderr_to_stdout",
            "callback_url", "additional_files", "enable_network", "started_at", "queued_at", "updated_at", "queue_host",
            "execution_host", "status", "language");
    static final List<String> DEFAULT_FIELDS = List.of("token", "time", "memory", "stdout", "stderr", "compile_output",
            "message", "status");
    private static final List<String> TEXTS = List.of("source_code", "stdin", "expected_output", "stdout", "stderr",
            "compile_output");
    private static final DateTimeFormatter RAILS_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** A text that is not UTF-8, asked for without base64: Judge0's Encoding::UndefinedConversionError. */
    static final class NotUtf8 extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotUtf8() {
            super("some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter",
                    null, false, false);
        }
    }

    private Judge0Submissions() { }

    /**
     * @param fields the {@code fields} parameter, or null
     * @return the fields asked for ({@code *}: all; none valid: the default ones)
     * @throws Judge0Error 400 {@code invalid fields: [...]}
     */
    static List<String> requested(String fields) {
        List<String> asked = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        if (fields != null && !fields.isEmpty()) {
            for (String field : fields.split(",")) {
                if (field.equals("*") || AVAILABLE_FIELDS.contains(field)) {
                    asked.add(field);
                } else {
                    invalid.add(field);
                }
            }
        }
        if (!invalid.isEmpty()) {
            throw Judge0Error.error(400, "invalid fields: [" + String.join(", ", invalid) + "]");
        }
        if (asked.contains("*")) {
            return AVAILABLE_FIELDS;
        }
        return asked.isEmpty() ? DEFAULT_FIELDS : asked;
    }

    /**
     * @param row a stored submission
     * @param fields the attributes to show, in this order
     * @param base64 whether texts (and {@code message}) are sent as Ruby's encode64
     * @param languages for {@code language}
     * @return the submission's JSON
     * @throws NotUtf8 when a text is not UTF-8 and base64 was not asked for
     */
    static Map<String, Object> serialize(Judge0Store.Row row, List<String> fields, boolean base64, Judge0Languages languages) {
        JsonNode params = read(row.request());
        JsonNode result = row.result() == null ? Json.MAPPER.createObjectNode() : read(row.result());
        Judge0Status status = Judge0Status.byId(row.statusId());
        Map<String, Object> body = new LinkedHashMap<>();
        for (String field : fields) {
            Object value;
            if (TEXTS.contains(field)) {
                JsonNode stored = params.has(field) ? params.path(field) : result.path(field);
                value = stored.isTextual() ? text(Base64.getDecoder().decode(stored.asText()), base64) : null;
            } else {
                value = switch (field) {
                    case "token" -> row.token();
                    case "status" -> status.describe();
                    case "status_id" -> status.id;
                    case "language_id" -> row.languageId();
                    case "language" -> languages.find(row.languageId()).map(Judge0Languages.Entry::brief).orElse(null);
                    case "created_at", "queued_at" -> time(row.createdAt());
                    case "started_at" -> time(row.startedAt());
                    case "finished_at" -> time(row.finishedAt());
                    case "updated_at" -> time(row.finishedAt() != null ? row.finishedAt()
                            : row.startedAt() != null ? row.startedAt() : row.createdAt());
                    case "time", "wall_time", "exit_code", "exit_signal", "memory" -> plain(result.path(field));
                    case "message" -> {
                        JsonNode message = result.path("message");
                        yield message.isTextual() ? (base64 ? Judge0Request.encode64(
                                message.asText().getBytes(StandardCharsets.UTF_8)) : message.asText()) : null;
                    }
                    case "additional_files" -> row.additionalFiles() == null ? null : Judge0Request.encode64(row.additionalFiles());
                    case "queue_host", "execution_host" -> null;
                    case "cpu_time_limit", "cpu_extra_time", "wall_time_limit" -> params.path(field).isNumber()
                            ? java.math.BigDecimal.valueOf(params.path(field).asDouble()).stripTrailingZeros().toPlainString() : null;
                    default -> plain(params.path(field));
                };
            }
            body.put(field, value);
        }
        return body;
    }

    private static Object plain(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        return Json.MAPPER.convertValue(value, Object.class);
    }

    private static String text(byte[] bytes, boolean base64) {
        if (base64) {
            return Judge0Request.encode64(bytes);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new NotUtf8();
        }
    }

    private static String time(Long millis) {
        return millis == null ? null : RAILS_TIME.format(Instant.ofEpochMilli(millis));
    }

    private static JsonNode read(byte[] json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
