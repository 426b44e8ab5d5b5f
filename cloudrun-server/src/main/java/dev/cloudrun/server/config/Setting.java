package dev.cloudrun.server.config;

import java.math.BigInteger;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * One server setting, declared once: its name (the environment variable, also the key in the
 * properties file), how its text becomes a typed value and what it accepts, its default and the line
 * that documents it. {@link Settings} holds every declaration; {@code docs/server.md} lists them.
 *
 * @param <T> the type of the parsed value
 */
public final class Setting<T> {
    private static final String MASK = "***";

    private final String name;
    private final String defaultText;
    private final String shownDefault;
    private final String description;
    private final Function<String, T> parser;
    private final UnaryOperator<String> display;

    private Setting(String name, String defaultText, String shownDefault, String description, Function<String, T> parser,
            UnaryOperator<String> display) {
        this.name = name;
        this.defaultText = defaultText;
        this.shownDefault = shownDefault;
        this.description = description;
        this.parser = parser;
        this.display = display;
    }

    /**
     * A setting with its own parser.
     *
     * @param name the environment variable
     * @param defaultText the default, written as a user would write it ({@code ""} for unset)
     * @param description one line for the docs
     * @param parser turns the trimmed text into the value; throws {@link IllegalArgumentException}
     *     with a message such as {@code "must be ..., was 'x'"} (the setting's name is put in front)
     * @param <T> the value's type
     * @return the declaration
     */
    static <T> Setting<T> of(String name, String defaultText, String description, Function<String, T> parser) {
        return new Setting<>(name, defaultText, defaultText.isEmpty() ? "(none)" : "`" + defaultText + "`", description,
                parser, UnaryOperator.identity());
    }

    /** {@code true} or {@code false}, in any case; {@code 1}, {@code yes} and the like are refused. */
    static Setting<Boolean> flag(String name, boolean defaultValue, String description) {
        return of(name, String.valueOf(defaultValue), description, text -> {
            if (text.equalsIgnoreCase("true")) {
                return true;
            }
            if (text.equalsIgnoreCase("false")) {
                return false;
            }
            throw new IllegalArgumentException("must be true or false, was '" + text + "'");
        });
    }

    /** A whole number between {@code min} and {@code max}; a larger one is refused, never wrapped. */
    static Setting<Integer> integer(String name, int defaultValue, int min, int max, String description) {
        return of(name, String.valueOf(defaultValue), description, text -> wholeNumber(text, min, max).intValueExact());
    }

    /** A whole number between {@code min} and {@code max} that needs more than an {@code int}. */
    static Setting<Long> longInteger(String name, long defaultValue, long min, long max, String description) {
        return of(name, String.valueOf(defaultValue), description, text -> wholeNumber(text, min, max).longValueExact());
    }

    /** Free text; blank means unset. */
    static Setting<Optional<String>> optionalText(String name, String description) {
        return optionalText(name, "", description);
    }

    /** Free text with a default; blank means unset. */
    static Setting<Optional<String>> optionalText(String name, String defaultText, String description) {
        return of(name, defaultText, description, text -> Optional.of(text).filter(value -> !value.isEmpty()));
    }

    /** An {@code http://} or {@code https://} URL with a host, or blank for unset. */
    static Setting<Optional<String>> optionalUrl(String name, String defaultText, String description) {
        return of(name, defaultText, description, text -> {
            if (text.isEmpty()) {
                return Optional.empty();
            }
            try {
                URI uri = URI.create(text);
                String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
                if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                    return Optional.of(text);
                }
            } catch (IllegalArgumentException e) {
                // reported below
            }
            throw new IllegalArgumentException("must be an http:// or https:// URL, was '" + text + "'");
        });
    }

    /** One of {@code choices} (any case), returned in lower case. */
    static Setting<String> choice(String name, String defaultValue, List<String> choices, String description) {
        return of(name, defaultValue, description, text -> {
            String lower = text.toLowerCase(Locale.ROOT);
            if (!choices.contains(lower)) {
                throw new IllegalArgumentException("must be " + alternatives(choices) + ", was '" + text + "'");
            }
            return lower;
        });
    }

    /** A comma-separated list; blank entries are dropped. */
    static Setting<List<String>> list(String name, String defaultText, String description) {
        return of(name, defaultText, description, Setting::splitList);
    }

    /** A comma-separated list of entries from {@code choices} (any case), returned in lower case. */
    static Setting<List<String>> listOf(String name, String defaultText, List<String> choices, String description) {
        return of(name, defaultText, description, text -> {
            List<String> entries = splitList(text).stream().map(entry -> entry.toLowerCase(Locale.ROOT)).toList();
            for (String entry : entries) {
                if (!choices.contains(entry)) {
                    throw new IllegalArgumentException("names an unknown entry '" + entry + "' (known: "
                            + String.join(", ", choices) + ")");
                }
            }
            return entries;
        });
    }

    static List<String> splitList(String text) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(entry -> !entry.isEmpty()).toList();
    }

    private static BigInteger wholeNumber(String text, long min, long max) {
        BigInteger value;
        try {
            value = new BigInteger(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("must be a whole number, was '" + text + "'");
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new IllegalArgumentException(max == Integer.MAX_VALUE || max == Long.MAX_VALUE
                    ? "must be at least " + min + " (and at most " + max + "), was " + text
                    : "must be between " + min + " and " + max + ", was " + text);
        }
        return value;
    }

    private static String alternatives(List<String> choices) {
        if (choices.size() == 1) {
            return choices.get(0);
        }
        return String.join(", ", choices.subList(0, choices.size() - 1)) + " or " + choices.get(choices.size() - 1);
    }

    /** @return this setting, its value never shown (only whether it is set) */
    Setting<T> secret() {
        return new Setting<>(name, defaultText, shownDefault, description, parser, text -> text.isEmpty() ? text : MASK);
    }

    /** @return this setting, with a password in its URL never shown */
    Setting<T> passwordInUrl() {
        return new Setting<>(name, defaultText, shownDefault, description, parser, text -> text.replaceAll(":[^:@/]*@", ":***@"));
    }

    /**
     * @param shown how the docs show the default, for a default that is computed or reads better in words
     * @return this setting, with that default in the docs
     */
    Setting<T> shownDefault(String shown) {
        return new Setting<>(name, defaultText, shown, description, parser, display);
    }

    /**
     * Parses a value of this setting.
     *
     * @param text the value as given (it is trimmed)
     * @return the typed value
     * @throws ServerConfigException naming this setting and the refused value
     */
    public T parse(String text) {
        try {
            return parser.apply(text.trim());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ServerConfigException(name + " " + e.getMessage());
        }
    }

    /** @return the name: the environment variable and the key in the properties file */
    public String name() {
        return name;
    }

    /** @return the default, as a user would write it ({@code ""} when unset) */
    public String defaultText() {
        return defaultText;
    }

    /** @return the default as the docs show it */
    public String shownDefault() {
        return shownDefault;
    }

    /** @return the line that documents the setting */
    public String description() {
        return description;
    }

    /**
     * @param text a value of this setting
     * @return the value as logs and {@code toString()} may show it (secrets masked)
     */
    String display(String text) {
        return display.apply(text);
    }

    @Override
    public String toString() {
        return name;
    }
}
