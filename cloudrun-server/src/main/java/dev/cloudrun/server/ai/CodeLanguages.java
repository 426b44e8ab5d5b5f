package dev.cloudrun.server.ai;

import java.util.Locale;
import java.util.Map;

/** Maps the labels people and models put on code fences ({@code py}, {@code c++}, {@code node}) to one id per language. */
final class CodeLanguages {
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("py", "python"), Map.entry("python3", "python"), Map.entry("py3", "python"),
            Map.entry("js", "javascript"), Map.entry("node", "javascript"), Map.entry("nodejs", "javascript"),
            Map.entry("mjs", "javascript"), Map.entry("cjs", "javascript"), Map.entry("jsx", "javascript"),
            Map.entry("ts", "typescript"), Map.entry("tsx", "typescript"),
            Map.entry("java17", "java"), Map.entry("jdk", "java"),
            Map.entry("c++", "cpp"), Map.entry("cc", "cpp"), Map.entry("cxx", "cpp"), Map.entry("g++", "cpp"),
            Map.entry("hpp", "cpp"), Map.entry("gcc", "c"), Map.entry("h", "c"),
            Map.entry("sh", "bash"), Map.entry("shell", "bash"), Map.entry("zsh", "bash"),
            Map.entry("htm", "html"), Map.entry("golang", "go"), Map.entry("rs", "rust"), Map.entry("rb", "ruby"),
            Map.entry("cs", "csharp"), Map.entry("c#", "csharp"), Map.entry("kt", "kotlin"));

    private CodeLanguages() { }

    /**
     * @param label a fence label or language id, any case; may carry extra words ({@code python title="x"})
     * @return the canonical id ({@code python}, {@code cpp}, ...), or "" for no label
     */
    static String canonical(String label) {
        if (label == null) {
            return "";
        }
        String word = label.strip().split("[\\s{,]", 2)[0].toLowerCase(Locale.ROOT);
        return ALIASES.getOrDefault(word, word);
    }
}
