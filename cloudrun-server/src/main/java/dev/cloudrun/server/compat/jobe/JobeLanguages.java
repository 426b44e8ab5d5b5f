package dev.cloudrun.server.compat.jobe;

import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The language ids Jobe clients use, mapped to CloudRun's languages: Jobe's own ids for the
 * languages both know ({@code python3}, {@code c}, {@code cpp}, {@code java}, {@code nodejs}),
 * CloudRun's ids for the others.
 */
final class JobeLanguages {
    private static final Map<String, String> JOBE_IDS = Map.of(
            "python3", "python", "c", "c", "cpp", "cpp", "java", "java", "nodejs", "javascript");
    private static final List<String> JOBE_ORDER = List.of("python3", "c", "cpp", "java", "nodejs");

    private final Map<String, Language> byJobeId = new LinkedHashMap<>();

    JobeLanguages(LanguageRegistry registry) {
        for (String jobeId : JOBE_ORDER) {
            registry.find(JOBE_IDS.get(jobeId)).ifPresent(language -> byJobeId.put(jobeId, language));
        }
        Collection<String> mapped = JOBE_IDS.values();
        for (Language language : registry.all()) {
            // A preview-only language (HTML) has nothing to run and no output to grade.
            if (!mapped.contains(language.id()) && !language.previewOnly()) {
                byJobeId.putIfAbsent(language.id(), language);
            }
        }
    }

    /** @return {@code [[id, version], ...]} as {@code GET languages} answers */
    List<List<String>> list() {
        List<List<String>> answer = new ArrayList<>();
        byJobeId.forEach((id, language) -> answer.add(List.of(id, language.displayName())));
        return answer;
    }

    /**
     * @param jobeId a Jobe language id, already lower-cased
     * @return the CloudRun language it names
     */
    Optional<Language> find(String jobeId) {
        return Optional.ofNullable(byJobeId.get(jobeId));
    }
}
