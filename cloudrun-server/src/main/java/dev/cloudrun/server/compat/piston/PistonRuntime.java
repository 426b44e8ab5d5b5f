package dev.cloudrun.server.compat.piston;

import dev.cloudrun.Language;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A CloudRun language as Piston lists it: Piston's name ({@code c++} for CloudRun's {@code cpp}),
 * a semver version, Piston's aliases (with CloudRun's own added) and the {@code runtime} field Piston
 * gives where several runtimes serve one language.
 *
 * @param language Piston's name
 * @param version the version, x.y.z
 * @param aliases other names that select it
 * @param runtime Piston's runtime name ({@code node}, {@code gcc}), or null
 * @param cloudRunLanguage the CloudRun language it runs as
 */
record PistonRuntime(String language, String version, List<String> aliases, String runtime, Language cloudRunLanguage) {

    /**
     * Piston's names for CloudRun's languages. The versions are those of the Debian 12 packages
     * CloudRun's images install (images/), so that a client that pins one keeps working; Piston's
     * own aliases come from its packages' metadata.
     */
    private record Known(String language, String version, List<String> aliases, String runtime) { }

    private static final Map<String, Known> KNOWN = Map.of(
            "python", new Known("python", "3.11.2", List.of("py", "py3", "python3"), null),
            "javascript", new Known("javascript", "18.19.0", List.of("node-javascript", "node-js", "javascript", "js"), "node"),
            "c", new Known("c", "12.2.0", List.of("gcc"), "gcc"),
            "cpp", new Known("c++", "12.2.0", List.of("cpp", "g++"), "gcc"),
            "java", new Known("java", "17.0.0", List.of(), null),
            "bash", new Known("bash", "5.2.15", List.of("sh"), null));

    /** The version given to a language CloudRun has and Piston's table does not name (an extension's). */
    static final String UNKNOWN_VERSION = "0.0.0";

    /**
     * @param language a CloudRun language
     * @return how Piston lists it
     */
    static PistonRuntime of(Language language) {
        Known known = KNOWN.get(language.id());
        String name = known == null ? language.id() : known.language();
        // Piston's aliases as Piston lists them (its javascript names itself among them), then CloudRun's.
        LinkedHashSet<String> aliases = new LinkedHashSet<>(known == null ? List.of() : known.aliases());
        for (String alias : concat(language.id(), language.aliases())) {
            if (!alias.equals(name)) {
                aliases.add(alias);
            }
        }
        String version = language.attribute("pistonVersion").orElse(known == null ? UNKNOWN_VERSION : known.version());
        return new PistonRuntime(name, version, List.copyOf(aliases), known == null ? null : known.runtime(), language);
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }

    /**
     * Lists the runtimes of the runner's languages (not the preview-only ones, which do not run).
     *
     * @param languages CloudRun's languages
     * @return the runtimes, in the registry's order
     */
    static List<PistonRuntime> all(Iterable<Language> languages) {
        List<PistonRuntime> runtimes = new ArrayList<>();
        for (Language language : languages) {
            if (!language.previewOnly()) {
                runtimes.add(of(language));
            }
        }
        return runtimes;
    }

    /**
     * Piston's lookup: the runtime whose name or alias is exactly {@code language} and whose version
     * satisfies {@code selector}.
     *
     * @param runtimes the runtimes
     * @param language a name or alias
     * @param selector a semver selector
     * @return the runtime, or empty ("runtime is unknown")
     */
    static Optional<PistonRuntime> find(List<PistonRuntime> runtimes, String language, String selector) {
        Optional<SemverRange> range = SemverRange.parse(selector);
        if (range.isEmpty()) {
            return Optional.empty();
        }
        return runtimes.stream()
                .filter(runtime -> runtime.language().equals(language) || runtime.aliases().contains(language))
                .filter(runtime -> range.get().matches(runtime.version()))
                .findFirst();
    }

    /** @return the {@code GET /api/v2/runtimes} entry */
    Map<String, Object> describe() {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("language", language);
        view.put("version", version);
        view.put("aliases", aliases);
        if (runtime != null) {
            view.put("runtime", runtime);
        }
        return view;
    }
}
