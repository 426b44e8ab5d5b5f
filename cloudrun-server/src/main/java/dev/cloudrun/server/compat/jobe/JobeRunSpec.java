package dev.cloudrun.server.compat.jobe;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * A {@code run_spec} as Jobe's {@code RunSpecifier} reads it: the same required fields, the same
 * checks and the same messages. Keys it does not know are ignored, as Jobe ignores them.
 *
 * @param languageId the Jobe language id, lower-cased
 * @param sourceCode the program
 * @param sourceFileName the name the client gave the program, empty for none
 * @param input the standard input, empty for none
 * @param files the {@code file_list}: cached files and the names they take in the run's folder
 * @param parameters the {@code parameters} object, as sent
 */
record JobeRunSpec(String languageId, String sourceCode, String sourceFileName, String input, List<FileRef> files,
                   JsonNode parameters) {

    /** Jobe's {@code MIN_FILE_IDENTIFIER_SIZE}. */
    static final int MIN_FILE_ID_LENGTH = 8;
    private static final Pattern ALPHANUMERIC = Pattern.compile("[A-Za-z0-9]+");
    // Jobe's isValidSourceFilename: file-system reserved, control, non-printing, URI-reserved and URL-unsafe characters.
    private static final Pattern ILLEGAL_IN_FILE_NAME =
            Pattern.compile("[<>:\"/\\\\|?*\\x00-\\x1F\\x7F\\xA0\\xAD#\\[\\]@!$&'()+,;={}^~`]");
    // PHP's is_numeric: an optional sign, digits with an optional fraction, an optional exponent, surrounding blanks.
    private static final Pattern NUMERIC = Pattern.compile("\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?\\s*");

    /**
     * One entry of {@code file_list}.
     *
     * @param id the id it was PUT under
     * @param name its name in the run's folder
     */
    record FileRef(String id, String name) { }

    static JobeRunSpec parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new JobeException(400, "Non-JSON post data received");
        }
        JsonNode run = body.get("run_spec");
        if (run == null || !run.isObject()) {
            throw new JobeException(400, "No run_spec attribute found in post data");
        }
        String sourceCode = required(run, "sourcecode");
        String languageId = required(run, "language_id").toLowerCase(Locale.ROOT);
        String sourceFileName = "";
        JsonNode nameNode = run.get("sourcefilename");
        if (nameNode != null && !nameNode.isNull()) {
            String name = nameNode.asText();
            if (!nameNode.isValueNode() || !isValidSourceFileName(name)) {
                throw new JobeException(400, "The sourcefilename for the run_spec is illegal");
            }
            // Jobe's special case for legacy CodeRunner: 'prog.java' is almost certainly the wrong name.
            if (!name.equals("prog.java")) {
                sourceFileName = name;
            }
        }
        JsonNode inputNode = run.get("input");
        String input = inputNode == null || inputNode.isNull() || !inputNode.isValueNode() ? "" : inputNode.asText();
        List<FileRef> files = new ArrayList<>();
        JsonNode fileList = run.get("file_list");
        if (fileList != null && !fileList.isNull()) {
            if (!fileList.isArray()) {
                throw new JobeException(400, "Invalid file specifier: " + JobeApi.shown(fileList));
            }
            for (JsonNode file : fileList) {
                if (!isValidFileSpec(file)) {
                    throw new JobeException(400, "Invalid file specifier: " + JobeApi.shown(file));
                }
                files.add(new FileRef(file.get(0).asText(), file.get(1).asText()));
            }
        }
        JsonNode parameters = run.path("parameters");
        return new JobeRunSpec(languageId, sourceCode, sourceFileName, input, List.copyOf(files),
                parameters.isObject() ? parameters : JobeApi.emptyObject());
    }

    private static String required(JsonNode run, String field) {
        JsonNode value = run.get(field);
        if (value == null || value.isNull()) {
            throw new JobeException(400, "run_spec is missing the required attribute '" + field + "'");
        }
        if (!value.isValueNode()) {
            throw new JobeException(400, "run_spec attribute '" + field + "' must be a string");
        }
        return value.asText();
    }

    static boolean isValidSourceFileName(String name) {
        if (ILLEGAL_IN_FILE_NAME.matcher(name).find()) {
            return false;
        }
        // No ".", ".." or hidden files: Jobe strips leading dots and dashes and wants the name unchanged.
        return !name.isEmpty() && name.charAt(0) != '.' && name.charAt(0) != '-';
    }

    /**
     * @param id a file id from a URL or a {@code file_list}
     * @return whether Jobe accepts it: letters and digits only
     */
    static boolean isValidFileId(String id) {
        return id != null && ALPHANUMERIC.matcher(id).matches();
    }

    private static boolean isValidFileSpec(JsonNode file) {
        if (!file.isArray() || (file.size() != 2 && file.size() != 3)
                || !file.get(0).isTextual() || !file.get(1).isTextual()) {
            return false;
        }
        String id = file.get(0).asText();
        String name = file.get(1).asText();
        return id.length() >= MIN_FILE_ID_LENGTH && isValidFileId(id)
                && isValidFileId(name.replaceAll("[-_.]", ""));
    }

    /**
     * A numeric parameter as Jobe's {@code getParam} reads it: a value that is not numeric (PHP's
     * {@code is_numeric}) counts as absent, so the default applies.
     *
     * @param key the parameter
     * @return its value, empty when absent or not numeric
     */
    OptionalDouble number(String key) {
        JsonNode value = parameters.get(key);
        if (value == null) {
            return OptionalDouble.empty();
        }
        if (value.isNumber()) {
            return OptionalDouble.of(value.asDouble());
        }
        if (value.isTextual() && NUMERIC.matcher(value.asText()).matches()) {
            return OptionalDouble.of(Double.parseDouble(value.asText().trim()));
        }
        return OptionalDouble.empty();
    }

    /**
     * @param key a list parameter such as {@code runargs}
     * @return its strings, empty when absent or not a list
     */
    Optional<List<String>> strings(String key) {
        JsonNode value = parameters.get(key);
        if (value == null || !value.isArray()) {
            return Optional.empty();
        }
        List<String> strings = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isValueNode() || item.isNull()) {
                throw new JobeException(400, "parameter '" + key + "' must be a list of strings");
            }
            strings.add(item.asText());
        }
        return Optional.of(strings);
    }
}
