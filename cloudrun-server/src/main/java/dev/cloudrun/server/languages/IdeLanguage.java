package dev.cloudrun.server.languages;

import dev.cloudrun.Language;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A language as the browser IDE sees it: the SDK's description plus what only an editor needs, the
 * Monaco editor's language id and a starter program. Those two stay in the language descriptors
 * ({@code monacoLanguage} and {@code template} in {@code languages.json}) and reach the server as
 * the language's attributes, so the SDK's API does not carry them.
 *
 * @param language the SDK's language
 */
public record IdeLanguage(Language language) {
    /** The descriptor key of the Monaco editor's language id. */
    public static final String MONACO_LANGUAGE = "monacoLanguage";
    /** The descriptor key of the starter program. */
    public static final String TEMPLATE = "template";

    /** @return the Monaco editor's language id; the language's id when the descriptor names none */
    public String monacoLanguage() {
        return language.attribute(MONACO_LANGUAGE).orElse(language.id());
    }

    /** @return the starter program a new project gets; empty when the descriptor has none */
    public String template() {
        return language.attribute(TEMPLATE).orElse("");
    }

    /** @return the JSON object {@code GET /api/languages} sends for this language (the web IDE's {@code api.ts} reads it) */
    public Map<String, Object> toJson() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", language.id());
        view.put("displayName", language.displayName());
        view.put("aliases", language.aliases());
        view.put("extensions", language.extensions());
        view.put("sourceFile", language.sourceFile());
        view.put("compiled", language.isCompiled());
        view.put("monacoLanguage", monacoLanguage());
        view.put("previewOnly", language.previewOnly());
        view.put("template", template());
        return view;
    }
}
