package dev.cloudrun.server.ai;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the program in a model's Markdown answer: the fenced block for the right language and, when
 * there are several, the one that is a complete program. Pure and thread-safe.
 *
 * <p>Rules, in order: blocks labelled with the language (any alias: {@code py}, {@code c++}, ...)
 * win; otherwise unlabelled blocks; otherwise, if there is exactly one block with another label, that
 * one (models mislabel, for example {@code js} for TypeScript); blocks labelled as output or
 * a shell session ({@code text}, {@code console}, {@code output}) are never a program unless the
 * language is bash. Among the candidates, a block with the language's entry point ({@code def main},
 * {@code if __name__}, {@code public static void main}, {@code int main}, ...) beats one without, then
 * the longer block wins.
 */
final class CodeExtractor {
    /** An opening fence: three or more backticks or tildes, then an optional label. */
    private static final Pattern OPENING = Pattern.compile("^( {0,3})(`{3,}|~{3,})[ \\t]*([^`\\n]*?)[ \\t]*$");
    private static final List<String> NOT_PROGRAMS = List.of("text", "txt", "console", "output", "plaintext", "log",
            "diff", "json", "stderr", "stdout", "traceback", "pytb");
    private static final Pattern ENTRY_POINT = Pattern.compile(
            "(def\\s+main\\s*\\(|if\\s+__name__\\s*==|static\\s+void\\s+main\\s*\\(|\\bint\\s+main\\s*\\(|\\bvoid\\s+main\\s*\\("
                    + "|\\bfunc\\s+main\\s*\\(|\\bfn\\s+main\\s*\\(|#!/)");

    private CodeExtractor() { }

    /** One fenced block of the answer. */
    record Block(String label, String code) { }

    /**
     * Extracts the program.
     *
     * @param markdown the model's answer
     * @param language the program's language id or alias
     * @return the program's text (ending with a newline), or null when the answer holds no block that fits
     */
    static String extract(String markdown, String language) {
        String wanted = CodeLanguages.canonical(language);
        List<Block> blocks = blocks(markdown);
        List<Block> labelled = blocks.stream().filter(b -> CodeLanguages.canonical(b.label()).equals(wanted)).toList();
        List<Block> candidates = labelled;
        if (candidates.isEmpty()) {
            candidates = blocks.stream().filter(b -> b.label().isEmpty()).toList();
        }
        if (candidates.isEmpty()) {
            List<Block> others = blocks.stream()
                    .filter(b -> !NOT_PROGRAMS.contains(CodeLanguages.canonical(b.label())))
                    .filter(b -> !CodeLanguages.canonical(b.label()).equals("bash") || wanted.equals("bash"))
                    .toList();
            candidates = others.size() == 1 ? others : List.of();
        }
        return candidates.stream()
                .filter(b -> !b.code().isBlank())
                .max(Comparator.comparing((Block b) -> ENTRY_POINT.matcher(b.code()).find())
                        .thenComparingInt(b -> b.code().length()))
                .map(b -> b.code().stripTrailing() + "\n")
                .orElse(null);
    }

    /**
     * Splits an answer into its fenced blocks (CommonMark fences: a closing fence uses the same
     * character, at least as long as the opening one; an unclosed block runs to the end).
     *
     * @param markdown the answer
     * @return the blocks in order
     */
    static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        if (markdown == null) {
            return blocks;
        }
        String[] lines = markdown.replace("\r\n", "\n").split("\n", -1);
        int index = 0;
        while (index < lines.length) {
            Matcher opening = OPENING.matcher(lines[index]);
            index++;
            if (!opening.matches()) {
                continue;
            }
            String fence = opening.group(2);
            String label = opening.group(3);
            StringBuilder code = new StringBuilder();
            while (index < lines.length && !isClosing(lines[index], fence)) {
                code.append(lines[index]).append('\n');
                index++;
            }
            index++;
            blocks.add(new Block(label, code.toString()));
        }
        return blocks;
    }

    private static boolean isClosing(String line, String fence) {
        String stripped = line.strip();
        return stripped.length() >= fence.length() && stripped.chars().allMatch(c -> c == fence.charAt(0))
                && line.length() - line.stripLeading().length() <= 3;
    }
}
