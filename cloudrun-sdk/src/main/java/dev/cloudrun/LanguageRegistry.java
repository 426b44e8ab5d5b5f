package dev.cloudrun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The languages a {@link CodeRunner} knows, looked up by id or alias. Immutable.
 *
 * <p>{@link #loadDefault()} reads the SDK's built-in descriptors, then every
 * {@code META-INF/cloudrun/languages.json} on the class path, so an application adds or overrides
 * a language (same id) by shipping such a file. The file is a JSON array of objects with the
 * fields {@code id}, {@code aliases}, {@code displayName}, {@code sourceFile},
 * {@code sourceFilePattern}, {@code extensions}, {@code compile}, {@code run}, {@code artifacts}, {@code image},
 * {@code version}, {@code missingDependencyPatterns}, {@code memoryErrorPatterns}, {@code syntaxErrorPatterns},
 * {@code previewOnly} and {@code packages}; see {@link Language} and {@link PackageManager}. Any
 * other key with a text, number or boolean value (the IDE's {@code monacoLanguage} and
 * {@code template}, say) is kept as one of the language's {@link Language#attributes()}.
 */
public final class LanguageRegistry {
    /** Where the SDK keeps its built-in languages. */
    public static final String BUILT_IN_RESOURCE = "dev/cloudrun/languages.json";
    /** Where applications put languages that add to or override the built-in ones. */
    public static final String EXTENSION_RESOURCE = "META-INF/cloudrun/languages.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    /** The descriptor keys the SDK reads itself; every other key becomes an attribute. */
    private static final Set<String> SDK_KEYS = Set.of("id", "aliases", "displayName", "sourceFile", "sourceFilePattern",
            "extensions", "compile", "run", "artifacts", "image", "version", "missingDependencyPatterns", "memoryErrorPatterns",
            "syntaxErrorPatterns",
            "previewOnly", "packages");

    private final Map<String, Language> byId;

    private LanguageRegistry(Map<String, Language> byId) {
        this.byId = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    }

    /**
     * The built-in languages plus every {@code META-INF/cloudrun/languages.json} on the class path.
     *
     * @return the registry
     */
    public static LanguageRegistry loadDefault() {
        return loadDefault(LanguageRegistry.class.getClassLoader());
    }

    /**
     * The built-in languages plus every {@code META-INF/cloudrun/languages.json} a class loader sees.
     *
     * @param loader the class loader to search (for example a plugin's)
     * @return the registry
     */
    public static LanguageRegistry loadDefault(ClassLoader loader) {
        Map<String, Language> languages = new LinkedHashMap<>();
        try (InputStream builtIn = loader.getResourceAsStream(BUILT_IN_RESOURCE)) {
            if (builtIn == null) {
                throw new CloudRunException("the SDK's " + BUILT_IN_RESOURCE + " is missing from the class path");
            }
            parse(builtIn, BUILT_IN_RESOURCE).forEach(language -> languages.put(language.id(), language));
            Enumeration<URL> extensions = loader.getResources(EXTENSION_RESOURCE);
            while (extensions.hasMoreElements()) {
                URL url = extensions.nextElement();
                try (InputStream in = url.openStream()) {
                    parse(in, url.toString()).forEach(language -> languages.put(language.id(), language));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new LanguageRegistry(languages);
    }

    /**
     * A registry holding exactly the given languages.
     *
     * @param languages the languages
     * @return the registry
     */
    public static LanguageRegistry of(Collection<Language> languages) {
        Map<String, Language> map = new LinkedHashMap<>();
        languages.forEach(language -> map.put(language.id(), language));
        return new LanguageRegistry(map);
    }

    /**
     * Reads language descriptors from a JSON array.
     *
     * @param json the JSON document
     * @param origin where it came from, for error messages
     * @return the languages in document order
     * @throws CloudRunException if the document is not a valid descriptor list
     */
    public static List<Language> parse(InputStream json, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new CloudRunException("language descriptors in " + origin + " are not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) {
            throw new CloudRunException("language descriptors in " + origin + " must be a JSON array");
        }
        List<Language> result = new ArrayList<>();
        for (JsonNode node : root) {
            String id = node.path("id").asText(null);
            try {
                Language.Builder builder = Language.builder(id);
                node.fields().forEachRemaining(field -> {
                    if (!SDK_KEYS.contains(field.getKey()) && field.getValue().isValueNode() && !field.getValue().isNull()) {
                        builder.attribute(field.getKey(), field.getValue().asText());
                    }
                });
                result.add(builder
                        .aliases(strings(node, "aliases"))
                        .displayName(node.path("displayName").asText(null))
                        .sourceFile(node.path("sourceFile").asText(null))
                        .sourceFilePattern(node.path("sourceFilePattern").asText(null))
                        .extensions(strings(node, "extensions"))
                        .compileCommand(strings(node, "compile"))
                        .runCommand(strings(node, "run"))
                        .artifacts(strings(node, "artifacts"))
                        .image(node.path("image").asText(null))
                        .versionCommand(strings(node, "version"))
                        .missingDependencyPatterns(strings(node, "missingDependencyPatterns"))
                        .memoryErrorPatterns(strings(node, "memoryErrorPatterns"))
                        .syntaxErrorPatterns(strings(node, "syntaxErrorPatterns"))
                        .previewOnly(node.path("previewOnly").asBoolean(false))
                        .packageManager(packageManager(node.path("packages")))
                        .build());
            } catch (RuntimeException e) {
                throw new CloudRunException("language '" + id + "' in " + origin + " is invalid: " + e.getMessage(), e);
            }
        }
        return result;
    }

    private static PackageManager packageManager(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        Map<String, String> runEnv = new LinkedHashMap<>();
        node.path("runEnv").fields().forEachRemaining(entry -> runEnv.put(entry.getKey(), entry.getValue().asText()));
        Map<String, String> installEnv = new LinkedHashMap<>();
        node.path("installEnv").fields().forEachRemaining(entry -> installEnv.put(entry.getKey(), entry.getValue().asText()));
        return new PackageManager(node.path("ecosystem").asText(null), node.path("manifest").asText(null),
                strings(node, "install"), node.path("installMount").asText(null), node.path("runMount").asText(null),
                runEnv, installEnv, node.path("defaultIndex").asText(null));
    }

    private static List<String> strings(JsonNode node, String field) {
        JsonNode value = node.path(field);
        if (value.isMissingNode() || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException(field + " must be an array of strings");
        }
        List<String> list = new ArrayList<>();
        value.forEach(element -> list.add(element.asText()));
        return list;
    }

    /**
     * A copy of this registry with a language added, or replaced when its id exists.
     *
     * @param language the language
     * @return the new registry
     */
    public LanguageRegistry with(Language language) {
        Map<String, Language> map = new LinkedHashMap<>(byId);
        map.put(language.id(), language);
        return new LanguageRegistry(map);
    }

    /**
     * Finds a language by id or alias, ignoring case.
     *
     * @param name an id or alias
     * @return the language, or empty
     */
    public Optional<Language> find(String name) {
        if (name == null) {
            return Optional.empty();
        }
        Language exact = byId.get(name.toLowerCase(java.util.Locale.ROOT));
        if (exact != null) {
            return Optional.of(exact);
        }
        return byId.values().stream().filter(language -> language.answersTo(name)).findFirst();
    }

    /**
     * Finds a language by id or alias, or fails with a message that lists the known ones.
     *
     * @param name an id or alias
     * @return the language
     * @throws InvalidRequestException for the field {@code language} when none answers to the name
     */
    public Language require(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidRequestException("language", "is required; known languages: " + ids());
        }
        return find(name).orElseThrow(() -> new InvalidRequestException("language",
                "unknown language '" + name + "'; known languages: " + ids()));
    }

    /**
     * Finds the language that owns a file name's extension ({@code .py} gives Python).
     *
     * @param fileName a file name
     * @return the language, or empty
     */
    public Optional<Language> forFileName(String fileName) {
        String lower = fileName.toLowerCase(java.util.Locale.ROOT);
        return byId.values().stream()
                .filter(language -> language.extensions().stream().anyMatch(lower::endsWith))
                .findFirst();
    }

    /** @return every language, built-in ones first */
    public Collection<Language> all() {
        return byId.values();
    }

    private String ids() {
        return byId.values().stream().filter(l -> !l.previewOnly()).map(Language::id).sorted()
                .collect(Collectors.joining(", "));
    }
}
