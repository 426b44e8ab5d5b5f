package dev.cloudrun.internal.grading;

import dev.cloudrun.CheckResult;
import dev.cloudrun.Checker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The built-in checkers. Each names the first difference the way people read it:
 * "line 3: expected `42`, got `41`".
 */
public final class TextCheckers {
    private static final int SHOWN_CHARS = 60;

    /** Byte-for-byte. */
    public static final Checker EXACT = (input, output, answer) -> {
        if (Arrays.equals(output, answer)) {
            return CheckResult.accepted();
        }
        List<String> expected = rawLines(answer);
        List<String> actual = rawLines(output);
        String difference = firstDifference(expected, actual);
        return CheckResult.wrongAnswer(difference != null ? difference
                : "the output differs from the expected one in its line endings or final newline");
    };

    /** Lines, ignoring trailing whitespace on each line and trailing empty lines. */
    public static final Checker LINES = (input, output, answer) -> {
        String difference = firstDifference(trimmedLines(answer), trimmedLines(output));
        return difference == null ? CheckResult.accepted() : CheckResult.wrongAnswer(difference);
    };

    /** Whitespace-separated tokens. */
    public static final Checker TOKENS = (input, output, answer) -> compareTokens(answer, output, -1, -1);

    private TextCheckers() { }

    /**
     * @param absolute absolute tolerance
     * @param relative relative tolerance
     * @return a token checker comparing numbers within the tolerance
     */
    public static Checker numbers(double absolute, double relative) {
        return (input, output, answer) -> compareTokens(answer, output, absolute, relative);
    }

    private static CheckResult compareTokens(byte[] answer, byte[] output, double absolute, double relative) {
        List<Token> expected = tokens(answer);
        List<Token> actual = tokens(output);
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            if (i >= actual.size()) {
                return CheckResult.wrongAnswer("token " + (i + 1) + ": expected `" + shown(expected.get(i).text)
                        + "`, got end of output");
            }
            if (i >= expected.size()) {
                return CheckResult.wrongAnswer("token " + (i + 1) + " (line " + actual.get(i).line
                        + "): expected end of output, got `" + shown(actual.get(i).text) + "`");
            }
            Token want = expected.get(i);
            Token got = actual.get(i);
            if (!matches(want.text, got.text, absolute, relative)) {
                return CheckResult.wrongAnswer("token " + (i + 1) + " (line " + got.line + "): expected `"
                        + shown(want.text) + "`, got `" + shown(got.text) + "`");
            }
        }
        return CheckResult.accepted();
    }

    private static boolean matches(String want, String got, double absolute, double relative) {
        if (want.equals(got)) {
            return true;
        }
        if (absolute < 0) {
            return false;
        }
        Double expected = number(want);
        Double actual = number(got);
        if (expected == null || actual == null) {
            return false;
        }
        double difference = Math.abs(expected - actual);
        return difference <= absolute || difference <= relative * Math.abs(expected);
    }

    private static Double number(String text) {
        if (!text.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
            return null;
        }
        double value = Double.parseDouble(text);
        return Double.isFinite(value) ? value : null;
    }

    /**
     * @param expected the expected lines
     * @param actual the output's lines
     * @return "line N: expected `x`, got `y`", or null if they are equal
     */
    static String firstDifference(List<String> expected, List<String> actual) {
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            if (i >= actual.size()) {
                return "line " + (i + 1) + ": expected `" + shown(expected.get(i)) + "`, got end of output";
            }
            if (i >= expected.size()) {
                return "line " + (i + 1) + ": expected end of output, got `" + shown(actual.get(i)) + "`";
            }
            if (!expected.get(i).equals(actual.get(i))) {
                return "line " + (i + 1) + ": expected `" + shown(expected.get(i)) + "`, got `" + shown(actual.get(i)) + "`";
            }
        }
        return null;
    }

    private static List<String> rawLines(byte[] bytes) {
        return List.of(new String(bytes, StandardCharsets.UTF_8).split("\n", -1));
    }

    private static List<String> trimmedLines(byte[] bytes) {
        List<String> lines = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n", -1)) {
            lines.add(line.stripTrailing());
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        return lines;
    }

    private record Token(String text, int line) { }

    private static List<Token> tokens(byte[] bytes) {
        List<Token> tokens = new ArrayList<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            for (String word : lines[i].strip().split("\\s+")) {
                if (!word.isEmpty()) {
                    tokens.add(new Token(word, i + 1));
                }
            }
        }
        return tokens;
    }

    /** @return the text, cut to a readable length, with control characters made visible */
    static String shown(String text) {
        String visible = text.replace("\r", "\\r").replace("\t", "\\t").replace("`", "'");
        return visible.length() <= SHOWN_CHARS ? visible : visible.substring(0, SHOWN_CHARS) + "…";
    }
}
