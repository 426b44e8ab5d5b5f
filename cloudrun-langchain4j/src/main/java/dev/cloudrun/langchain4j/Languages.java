package dev.cloudrun.langchain4j;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import java.util.Collection;
import java.util.stream.Collectors;

/** Finds the languages that code can run in (the registry's, less those that are only previewed). */
final class Languages {
    private Languages() { }

    /**
     * @param registry the runner's languages
     * @param name an id or alias
     * @return the language
     * @throws InvalidRequestException for the field {@code language} when none answers to the name or
     *     it cannot be executed
     */
    static Language requireRunnable(LanguageRegistry registry, String name) {
        Language language = registry.require(name);
        if (language.previewOnly()) {
            throw new InvalidRequestException("language", "'" + name + "' is only previewed, never executed; "
                    + "languages that run: " + ids(registry.all()));
        }
        return language;
    }

    /**
     * @param languages some languages
     * @return the ids of those that run, sorted and comma-separated
     */
    static String ids(Collection<Language> languages) {
        return languages.stream().filter(language -> !language.previewOnly()).map(Language::id).sorted()
                .collect(Collectors.joining(", "));
    }
}
