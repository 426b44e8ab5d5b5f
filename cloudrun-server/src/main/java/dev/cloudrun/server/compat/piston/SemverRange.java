package dev.cloudrun.server.compat.piston;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A version selector as Piston matches it (node-semver's {@code satisfies}): exact versions,
 * {@code *} and x-ranges ({@code 3}, {@code 3.x}, {@code 3.11.*}), comparators ({@code >=3.10 <4}),
 * tilde and caret ranges, hyphen ranges ({@code 3.8 - 3.11}) and alternatives joined by {@code ||}.
 * A selector node-semver cannot parse matches nothing, as in Piston. Pre-release tags are compared
 * only as "before the release".
 */
final class SemverRange {
    private static final String PART = "(?:[xX*]|0|[1-9]\\d{0,8})";
    private static final Pattern PARTIAL = Pattern.compile(
            "v?(" + PART + ")(?:\\.(" + PART + ")(?:\\.(" + PART + ")(-[0-9A-Za-z.-]+)?(?:\\+[0-9A-Za-z.-]+)?)?)?");
    private static final Pattern HYPHEN = Pattern.compile("^\\s*(\\S+)\\s+-\\s+(\\S+)\\s*$");
    private static final Pattern COMPARATOR = Pattern.compile("(<=|>=|<|>|=|~>|~|\\^)?\\s*(\\S+)");

    /** A comparison of a version against a bound. */
    private record Comparator(String operator, long[] bound) {
        boolean test(long[] version) {
            int order = compare(version, bound);
            return switch (operator) {
                case "<" -> order < 0;
                case "<=" -> order <= 0;
                case ">" -> order > 0;
                case ">=" -> order >= 0;
                default -> order == 0;
            };
        }
    }

    private final List<List<Comparator>> alternatives;

    private SemverRange(List<List<Comparator>> alternatives) {
        this.alternatives = alternatives;
    }

    /**
     * Parses a selector.
     *
     * @param selector such as {@code 3.x} or {@code >=3.10 <4}
     * @return the range, or empty when node-semver would not parse it either
     */
    static Optional<SemverRange> parse(String selector) {
        List<List<Comparator>> sets = new ArrayList<>();
        for (String alternative : selector.split("\\|\\|", -1)) {
            List<Comparator> set = parseSet(alternative);
            if (set == null) {
                return Optional.empty();
            }
            sets.add(set);
        }
        return Optional.of(new SemverRange(sets));
    }

    /**
     * @param version an exact version such as {@code 3.11.2}
     * @return whether the version is in the range (false when the version is not x.y.z)
     */
    boolean matches(String version) {
        long[] parsed = exact(version);
        if (parsed == null) {
            return false;
        }
        return alternatives.stream().anyMatch(set -> set.stream().allMatch(comparator -> comparator.test(parsed)));
    }

    private static long[] exact(String version) {
        Matcher matcher = PARTIAL.matcher(version.trim());
        if (!matcher.matches() || matcher.group(3) == null || isWild(matcher.group(1)) || isWild(matcher.group(2))
                || isWild(matcher.group(3))) {
            return null;
        }
        return new long[] {Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)),
                Long.parseLong(matcher.group(3)), matcher.group(4) == null ? 1 : 0};
    }

    private static List<Comparator> parseSet(String text) {
        List<Comparator> set = new ArrayList<>();
        Matcher hyphen = HYPHEN.matcher(text);
        if (hyphen.matches()) {
            Partial from = Partial.parse(hyphen.group(1));
            Partial to = Partial.parse(hyphen.group(2));
            if (from == null || to == null) {
                return null;
            }
            set.add(new Comparator(">=", from.floor()));
            if (to.major != null) {
                set.add(to.patch != null ? new Comparator("<=", to.floor()) : new Comparator("<", to.nextUp()));
            }
            return set;
        }
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return set;
        }
        // Operators may be separated from their version by spaces (">= 1.2"): glue them first.
        String glued = trimmed.replaceAll("(<=|>=|<|>|=|~>|~|\\^)\\s+", "$1");
        for (String token : glued.split("\\s+")) {
            Matcher matcher = COMPARATOR.matcher(token);
            if (!matcher.matches()) {
                return null;
            }
            Partial partial = Partial.parse(matcher.group(2));
            if (partial == null) {
                return null;
            }
            String operator = matcher.group(1) == null ? "" : matcher.group(1);
            if (!expand(operator, partial, set)) {
                return null;
            }
        }
        return set;
    }

    /** Adds the comparators a primitive stands for; false when it cannot match anything sensible to parse. */
    private static boolean expand(String operator, Partial partial, List<Comparator> set) {
        long[] floor = partial.floor();
        switch (operator) {
            case "", "=" -> {
                if (partial.major == null) {
                    return true;
                }
                if (partial.patch != null) {
                    set.add(new Comparator("=", floor));
                } else {
                    set.add(new Comparator(">=", floor));
                    set.add(new Comparator("<", partial.nextUp()));
                }
            }
            case ">" -> {
                if (partial.major == null) {
                    set.add(new Comparator("<", new long[] {0, 0, 0, 0}));
                } else if (partial.patch != null) {
                    set.add(new Comparator(">", floor));
                } else {
                    set.add(new Comparator(">=", partial.nextUp()));
                }
            }
            case ">=" -> {
                if (partial.major != null) {
                    set.add(new Comparator(">=", floor));
                }
            }
            case "<" -> {
                if (partial.major == null) {
                    set.add(new Comparator("<", new long[] {0, 0, 0, 0}));
                } else {
                    set.add(new Comparator("<", floor));
                }
            }
            case "<=" -> {
                if (partial.major != null) {
                    set.add(partial.patch != null ? new Comparator("<=", floor) : new Comparator("<", partial.nextUp()));
                }
            }
            case "~", "~>" -> {
                if (partial.major != null) {
                    set.add(new Comparator(">=", floor));
                    set.add(new Comparator("<", partial.minor == null
                            ? new long[] {partial.major + 1, 0, 0, 0} : new long[] {partial.major, partial.minor + 1, 0, 0}));
                }
            }
            case "^" -> {
                if (partial.major != null) {
                    set.add(new Comparator(">=", floor));
                    long[] ceiling;
                    if (partial.major > 0 || partial.minor == null) {
                        ceiling = new long[] {partial.major + 1, 0, 0, 0};
                    } else if (partial.minor > 0 || partial.patch == null) {
                        ceiling = new long[] {0, partial.minor + 1, 0, 0};
                    } else {
                        ceiling = new long[] {0, 0, partial.patch + 1, 0};
                    }
                    set.add(new Comparator("<", ceiling));
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** A version with trailing parts left open ({@code 3}, {@code 3.11}); null parts are wildcards. */
    private record Partial(Long major, Long minor, Long patch, boolean prerelease) {
        static Partial parse(String text) {
            Matcher matcher = PARTIAL.matcher(text);
            if (!matcher.matches()) {
                return null;
            }
            Long major = number(matcher.group(1));
            Long minor = major == null ? null : number(matcher.group(2));
            Long patch = minor == null ? null : number(matcher.group(3));
            return new Partial(major, minor, patch, patch != null && matcher.group(4) != null);
        }

        private static Long number(String part) {
            return part == null || isWild(part) ? null : Long.valueOf(part);
        }

        long[] floor() {
            return new long[] {orZero(major), orZero(minor), orZero(patch), prerelease ? 0 : patch == null ? 0 : 1};
        }

        long[] nextUp() {
            return minor == null ? new long[] {major + 1, 0, 0, 0} : new long[] {major, minor + 1, 0, 0};
        }

        private static long orZero(Long part) {
            return part == null ? 0 : part;
        }
    }

    private static boolean isWild(String part) {
        return part.equals("x") || part.equals("X") || part.equals("*");
    }

    private static int compare(long[] left, long[] right) {
        for (int i = 0; i < 4; i++) {
            int order = Long.compare(left[i], right[i]);
            if (order != 0) {
                return order;
            }
        }
        return 0;
    }
}
