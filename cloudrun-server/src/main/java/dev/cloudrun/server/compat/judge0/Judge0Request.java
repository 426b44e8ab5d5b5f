package dev.cloudrun.server.compat.judge0;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.server.grading.CallbackFence;
import dev.cloudrun.server.grading.StrictZip;
import dev.cloudrun.server.http.ApiError;
import dev.cloudrun.server.http.Json;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Judge0 submission's fields, checked as Judge0's model checks them (app/models/submission.rb: Rails
 * validations, every error of the record at once, with Rails' messages), with Judge0's defaults
 * (judge0.conf) bounded by CloudRun's ceiling, and translated to CloudRun's {@link RunRequest}.
 *
 * @param params the normalised fields as stored (texts as base64), Judge0's names
 * @param additionalFiles the attached zip, or null
 */
record Judge0Request(ObjectNode params, byte[] additionalFiles) {

    /** The most entries and bytes an attached zip may unpack to (Judge0's MAX_EXTRACT_SIZE is 10240 KB). */
    static final int MAX_ZIP_ENTRIES = 1_000;
    static final long MAX_ZIP_BYTES = 10_240L * 1024;
    static final int MAX_OPTION_CHARS = 512;
    static final int MAX_RUNS = 20;
    static final double MAX_CPU_EXTRA_TIME = 5.0;
    static final long MAX_STACK_KB = 128_000;
    static final long MAX_FILE_SIZE_KB = 4_096;

    /**
     * The server's bounds: Judge0's defaults and maxima, no larger than CloudRun's ceiling.
     *
     * @param maxCpuSeconds {@code max_cpu_time_limit}
     * @param maxWallSeconds {@code max_wall_time_limit}
     * @param maxMemoryKb {@code max_memory_limit}
     * @param maxProcesses {@code max_max_processes_and_or_threads}
     * @param maxSourceBytes the longest source, stdin or expected output
     * @param allowNetwork {@code allow_enable_network}
     */
    record Bounds(double maxCpuSeconds, double maxWallSeconds, long maxMemoryKb, int maxProcesses, long maxSourceBytes,
                  boolean allowNetwork) {
        static Bounds of(Limits ceiling, long maxSourceBytes, boolean allowNetwork) {
            return new Bounds(ceiling.cpuTime().toMillis() / 1000.0, ceiling.wallTime().toMillis() / 1000.0,
                    ceiling.memoryBytes() / 1024, ceiling.maxProcesses(), maxSourceBytes, allowNetwork);
        }

        double cpuTimeLimit() {
            return Math.min(5.0, maxCpuSeconds);
        }

        double cpuExtraTime() {
            return 1.0;
        }

        double wallTimeLimit() {
            return Math.min(10.0, maxWallSeconds);
        }

        long memoryLimit() {
            return Math.min(128_000, maxMemoryKb);
        }

        long stackLimit() {
            return 64_000;
        }

        int maxProcessesAndOrThreads() {
            return Math.min(60, maxProcesses);
        }

        long maxFileSize() {
            return 1_024;
        }
    }

    /**
     * Checks one submission.
     *
     * @param body the JSON object (anything else lacks every field)
     * @param base64Encoded whether source_code, stdin and expected_output come base64 encoded
     * @param languages the languages
     * @param bounds the limits
     * @param fence checks callback URLs
     * @return the request
     * @throws Judge0Error 422 with every field's errors
     */
    static Judge0Request parse(JsonNode body, boolean base64Encoded, Judge0Languages languages, Bounds bounds,
                               CallbackFence fence) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        ObjectNode params = Json.MAPPER.createObjectNode();
        byte[] source = text(body, "source_code", base64Encoded, bounds.maxSourceBytes(), errors);
        if (source == null || new String(source, StandardCharsets.UTF_8).isBlank()) {
            add(errors, "source_code", "can't be blank");
        }
        byte[] stdin = text(body, "stdin", base64Encoded, bounds.maxSourceBytes(), errors);
        byte[] expected = text(body, "expected_output", base64Encoded, bounds.maxSourceBytes(), errors);
        putBytes(params, "source_code", source);
        JsonNode languageNode = body.path("language_id");
        Integer languageId = null;
        if (isBlank(languageNode)) {
            add(errors, "language_id", "can't be blank");
        } else {
            BigDecimal number = number(languageNode);
            if (number == null || number.stripTrailingZeros().scale() > 0 || number.abs().compareTo(BigDecimal.valueOf(1_000_000_000)) > 0
                    || languages.find(number.intValue()).isEmpty()) {
                add(errors, "language_id", "language with id " + shownId(languageNode, number) + " doesn't exist");
            } else {
                languageId = number.intValue();
            }
        }
        params.put("language_id", languageId);
        putBytes(params, "stdin", stdin);
        putBytes(params, "expected_output", expected);
        integer(body, params, errors, "number_of_runs", 1, false, 0, MAX_RUNS, true);
        decimal(body, params, errors, "cpu_time_limit", bounds.cpuTimeLimit(), 0, bounds.maxCpuSeconds());
        decimal(body, params, errors, "cpu_extra_time", bounds.cpuExtraTime(), 0, MAX_CPU_EXTRA_TIME);
        decimal(body, params, errors, "wall_time_limit", bounds.wallTimeLimit(), 1, bounds.maxWallSeconds());
        integer(body, params, errors, "memory_limit", bounds.memoryLimit(), true, 2048, bounds.maxMemoryKb(), false);
        integer(body, params, errors, "stack_limit", bounds.stackLimit(), true, 0, MAX_STACK_KB, false);
        integer(body, params, errors, "max_processes_and_or_threads", bounds.maxProcessesAndOrThreads(), false, 0,
                bounds.maxProcesses(), true);
        flag(body, params, "enable_per_process_and_thread_time_limit", false);
        flag(body, params, "enable_per_process_and_thread_memory_limit", false);
        integer(body, params, errors, "max_file_size", bounds.maxFileSize(), true, 0, MAX_FILE_SIZE_KB, false);
        String compilerOptions = string(body, "compiler_options", errors);
        if (compilerOptions != null && compilerOptions.length() > MAX_OPTION_CHARS) {
            add(errors, "compiler_options", "is too long (maximum is " + MAX_OPTION_CHARS + " characters)");
        }
        // Judge0 CE's default ENABLE_COMPILER_OPTIONS=true: options are allowed, for compiled languages only.
        if (compilerOptions != null && !compilerOptions.isBlank() && languageId != null
                && !languages.language(languages.find(languageId).orElseThrow()).isCompiled()) {
            add(errors, "compiler_options", "setting compiler options is only allowed for compiled languages");
        }
        params.put("compiler_options", compilerOptions);
        String arguments = string(body, "command_line_arguments", errors);
        if (arguments != null && arguments.length() > MAX_OPTION_CHARS) {
            add(errors, "command_line_arguments", "is too long (maximum is " + MAX_OPTION_CHARS + " characters)");
        }
        params.put("command_line_arguments", arguments);
        flag(body, params, "redirect_stderr_to_stdout", false);
        String callbackUrl = string(body, "callback_url", errors);
        if (callbackUrl != null && !callbackUrl.isBlank()) {
            try {
                fence.checkDestination(CallbackFence.checkUrl(callbackUrl, "callback_url"), "callback_url");
            } catch (ApiError e) {
                add(errors, "callback_url", e.getMessage());
            }
        } else {
            callbackUrl = null;
        }
        params.put("callback_url", callbackUrl);
        byte[] zip = null;
        JsonNode filesNode = body.path("additional_files");
        if (!isBlank(filesNode)) {
            try {
                zip = decodeBase64(filesNode.asText());
                StrictZip.readAll(zip, MAX_ZIP_ENTRIES, MAX_ZIP_BYTES);
            } catch (IllegalArgumentException e) {
                add(errors, "additional_files", "is not valid Base64");
            } catch (StrictZip.Refused e) {
                add(errors, "additional_files", "the zip " + e.getMessage());
            }
        }
        boolean network = flag(body, params, "enable_network", false);
        if (network && !bounds.allowNetwork()) {
            add(errors, "enable_network", "enabling network is not allowed");
        }
        if (!errors.isEmpty()) {
            throw Judge0Error.invalid(errors);
        }
        return new Judge0Request(params, zip);
    }

    /** The tolerant base64 of Ruby's decode64 (line breaks allowed), but refusing characters outside the alphabet. */
    static byte[] decodeBase64(String text) {
        String compact = text.replaceAll("\\s", "");
        if (!compact.matches("[A-Za-z0-9+/]*={0,2}")) {
            throw new IllegalArgumentException("not base64");
        }
        // Java accepts a missing padding; one character past a multiple of four is refused.
        return Base64.getDecoder().decode(compact);
    }

    /** Ruby's {@code Base64.encode64}: lines of 60 characters, each ended by a newline. */
    static String encode64(byte[] bytes) {
        String plain = Base64.getEncoder().encodeToString(bytes);
        StringBuilder lines = new StringBuilder(plain.length() + plain.length() / 60 + 1);
        for (int i = 0; i < plain.length(); i += 60) {
            lines.append(plain, i, Math.min(plain.length(), i + 60)).append('\n');
        }
        return lines.toString();
    }

    /** @return what CloudRun runs, from the stored fields and the unpacked zip */
    static RunRequest toRunRequest(JsonNode params, byte[] additionalFiles, dev.cloudrun.Language language, Limits ceiling) {
        RunRequest request = RunRequest.of(language.id(), bytes(params, "source_code"));
        byte[] stdin = bytes(params, "stdin");
        if (stdin != null) {
            request = request.withStdin(stdin);
        }
        if (additionalFiles != null) {
            for (Map.Entry<String, byte[]> file : StrictZip.readAll(additionalFiles, MAX_ZIP_ENTRIES, MAX_ZIP_BYTES).entrySet()) {
                request = request.withFile(file.getKey(), file.getValue());
            }
        }
        String arguments = params.path("command_line_arguments").asText("");
        if (!arguments.isBlank()) {
            request = request.withArgs(splitArguments(arguments));
        }
        String compilerOptions = params.path("compiler_options").asText("");
        if (!compilerOptions.isBlank() && language.isCompiled()) {
            request = request.withCompileCommand(withCompilerOptions(language.compileCommand(), splitArguments(compilerOptions)));
        }
        if (params.path("redirect_stderr_to_stdout").asBoolean()) {
            request = request.withStderrToStdout();
        }
        long stackBytes = stackBytes(params.path("stack_limit").asLong(), ceiling);
        double cpu = params.path("cpu_time_limit").asDouble() + params.path("cpu_extra_time").asDouble();
        Duration cpuTime = params.path("cpu_time_limit").asDouble() == 0 ? ceiling.cpuTime()
                : min(Duration.ofMillis(Math.max(1, Math.round(cpu * 1000))), ceiling.cpuTime());
        Duration wallTime = min(Duration.ofMillis(Math.round(params.path("wall_time_limit").asDouble() * 1000)), ceiling.wallTime());
        long memoryBytes = Math.min(params.path("memory_limit").asLong() * 1024, ceiling.memoryBytes());
        int processes = Math.min(params.path("max_processes_and_or_threads").asInt(), ceiling.maxProcesses());
        long fileBytes = params.path("max_file_size").asLong() * 1024;
        long maxFileBytes = fileBytes == 0 ? ceiling.maxFileSizeBytes() : Math.min(fileBytes, ceiling.maxFileSizeBytes());
        return request.withNetwork(params.path("enable_network").asBoolean()).withLimits(limits -> limits
                .withCpuTime(cpuTime).withWallTime(wallTime).withMemoryBytes(memoryBytes).withMaxProcesses(processes)
                .withMaxFileSizeBytes(maxFileBytes).withStackBytes(stackBytes));
    }

    /**
     * Judge0's compile commands are the compiler, {@code %s} and the source ({@code gcc %s main.c}):
     * the options go just before the source, so they follow CloudRun's own flags and win over them
     * where a later flag wins ({@code -O0}, {@code -std=c99}), as the only flags on Judge0.
     */
    static List<String> withCompilerOptions(List<String> compileCommand, List<String> options) {
        int source = compileCommand.indexOf("{file}");
        int at = source >= 0 ? source : 1;
        List<String> command = new ArrayList<>(compileCommand.subList(0, at));
        command.addAll(options);
        command.addAll(compileCommand.subList(at, compileCommand.size()));
        return command;
    }

    /** isolate's {@code -k}: KB of stack, 0 for no limit (here the ceiling); at least CloudRun's minimum of 64 KiB. */
    private static long stackBytes(long stackKb, Limits ceiling) {
        if (stackKb <= 0) {
            return ceiling.stackBytes();
        }
        return Math.min(Math.max(stackKb * 1024, 64 * 1024), ceiling.stackBytes());
    }

    /**
     * Judge0 writes the arguments after the run command in a bash script, with {@code $&;<>|`} removed:
     * the words of that line, quotes honoured, nothing expanded.
     */
    static List<String> splitArguments(String line) {
        String cleaned = line.strip().replaceAll("[$&;<>|`]", "");
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < cleaned.length(); i++) {
            char c = cleaned.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < cleaned.length() && "\"\\".indexOf(cleaned.charAt(i + 1)) >= 0) {
                    word.append(cleaned.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < cleaned.length()) {
                word.append(cleaned.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    static byte[] bytes(JsonNode params, String name) {
        JsonNode value = params.path(name);
        return value.isTextual() ? Base64.getDecoder().decode(value.asText()) : null;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static byte[] text(JsonNode body, String name, boolean base64, long maxBytes, Map<String, List<String>> errors) {
        JsonNode value = body.path(name);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (value.isContainerNode()) {
            add(errors, name, "is invalid");
            return null;
        }
        byte[] bytes;
        if (base64) {
            try {
                bytes = decodeBase64(value.asText());
            } catch (IllegalArgumentException e) {
                add(errors, name, "is not valid Base64");
                return null;
            }
        } else {
            bytes = value.asText().getBytes(StandardCharsets.UTF_8);
        }
        if (bytes.length > maxBytes) {
            add(errors, name, "is too long (maximum is " + maxBytes + " bytes)");
            return null;
        }
        return bytes;
    }

    private static void putBytes(ObjectNode params, String name, byte[] bytes) {
        params.put(name, bytes == null ? null : Base64.getEncoder().encodeToString(bytes));
    }

    private static String string(JsonNode body, String name, Map<String, List<String>> errors) {
        JsonNode value = body.path(name);
        if (value.isMissingNode() || value.isNull()) {
            return null;
        }
        if (value.isContainerNode()) {
            add(errors, name, "is invalid");
            return null;
        }
        return value.asText();
    }

    /** A Rails boolean column: true, "true", 1, "1", "t", "on"... are true; absent takes the default. */
    private static boolean flag(JsonNode body, ObjectNode params, String name, boolean defaultValue) {
        JsonNode value = body.path(name);
        boolean result;
        if (value.isMissingNode() || value.isNull() || value.isTextual() && value.asText().isEmpty()) {
            result = defaultValue;
        } else if (value.isBoolean()) {
            result = value.asBoolean();
        } else {
            String text = value.asText().trim().toLowerCase(java.util.Locale.ROOT);
            result = !List.of("false", "f", "0", "off", "no", "n").contains(text);
        }
        params.put(name, result);
        return result;
    }

    private static void decimal(JsonNode body, ObjectNode params, Map<String, List<String>> errors, String name,
                                double defaultValue, double min, double max) {
        JsonNode value = body.path(name);
        if (isBlank(value)) {
            params.put(name, defaultValue);
            return;
        }
        BigDecimal number = number(value);
        if (number == null) {
            add(errors, name, "is not a number");
            return;
        }
        double given = number.doubleValue();
        if (given < min) {
            add(errors, name, "must be greater than or equal to " + rubyFloat(min));
        } else if (given > max) {
            add(errors, name, "must be less than or equal to " + rubyFloat(max));
        }
        params.put(name, given);
    }

    private static void integer(JsonNode body, ObjectNode params, Map<String, List<String>> errors, String name,
                                long defaultValue, boolean minInclusive, long min, long max, boolean positive) {
        JsonNode value = body.path(name);
        if (isBlank(value)) {
            params.put(name, defaultValue);
            return;
        }
        BigDecimal number = number(value);
        if (number == null) {
            add(errors, name, "is not a number");
            return;
        }
        // An integer column keeps the whole part of 1.5, as Rails casts it.
        long given = number.longValue();
        if (positive && given <= min) {
            add(errors, name, "must be greater than " + min);
        } else if (!positive && given < min) {
            add(errors, name, "must be greater than or equal to " + min);
        } else if (given > max) {
            add(errors, name, "must be less than or equal to " + max);
        }
        params.put(name, given);
    }

    private static BigDecimal number(JsonNode value) {
        if (value.isNumber()) {
            return value.decimalValue();
        }
        if (!value.isTextual()) {
            return null;
        }
        String text = value.asText().trim();
        if (!text.matches("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?")) {
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String shownId(JsonNode value, BigDecimal number) {
        if (number != null && number.stripTrailingZeros().scale() <= 0) {
            return number.toBigInteger().toString();
        }
        return ApiError.shown(value.asText());
    }

    /** Ruby's Float#to_s for the limits: 15.0, 2.5. */
    static String rubyFloat(double value) {
        return value == Math.rint(value) ? String.format(java.util.Locale.ROOT, "%.1f", value) : BigDecimal.valueOf(value).toPlainString();
    }

    private static boolean isBlank(JsonNode value) {
        return value.isMissingNode() || value.isNull() || value.isTextual() && value.asText().isBlank();
    }

    private static void add(Map<String, List<String>> errors, String field, String message) {
        errors.computeIfAbsent(field, any -> new ArrayList<>()).add(message);
    }
}
