package dev.cloudrun.examples.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The command line of {@code ./cloudrun bench}:
 * {@code [--backend local|docker|all] [--languages a,b,...] [--runs N] [--concurrency C] [--json]}.
 * The older positional form ({@code RUNS LANGUAGE...}) still works. Bad input fails with an
 * {@link IllegalArgumentException} that names the flag.
 *
 * @param localBackend whether the local backend is measured
 * @param dockerBackend whether the Docker backend (runc, and runsc where the daemon has it) is measured
 * @param languages the languages, in order
 * @param runs timed runs per language and path (after one warm-up)
 * @param concurrency runs at once in the throughput part
 * @param json whether one JSON document goes to stdout instead of tables
 */
public record BenchOptions(boolean localBackend, boolean dockerBackend, List<String> languages, int runs,
                           int concurrency, boolean json) {
    /** The languages with a hello-world sample, in the order the tables show them. */
    public static final List<String> ALL_LANGUAGES = List.of("python", "javascript", "c", "cpp", "java", "bash");
    /** The most timed runs per path, so that a typo cannot keep the machine busy for a day. */
    public static final int MAX_RUNS = 1000;
    /** The most runs at once in the throughput part. */
    public static final int MAX_CONCURRENCY = 64;

    /** What {@code --help} prints. */
    public static final String USAGE = "usage: cloudrun bench [--backend local|docker|all] [--languages python,javascript,c,cpp,java,bash]"
            + " [--runs N (10)] [--concurrency C (4)] [--json]\n"
            + "       cloudrun bench grading ... | cloudrun bench compat ...";

    /** Copies the language list. */
    public BenchOptions {
        languages = List.copyOf(languages);
    }

    /**
     * Reads the command line.
     *
     * @param args the arguments after {@code bench}
     * @return the options
     * @throws IllegalArgumentException naming the flag, when an argument is not understood
     */
    public static BenchOptions parse(String... args) {
        String backend = "all";
        List<String> languages = null;
        Integer runs = null;
        int concurrency = 4;
        boolean json = false;
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String flag = arg;
            String value = null;
            int equals = arg.indexOf('=');
            if (arg.startsWith("--") && equals > 0) {
                flag = arg.substring(0, equals);
                value = arg.substring(equals + 1);
            }
            switch (flag) {
                case "--json" -> {
                    if (value != null) {
                        throw new IllegalArgumentException("--json takes no value");
                    }
                    json = true;
                }
                case "--backend", "--languages", "--runs", "--concurrency" -> {
                    if (value == null) {
                        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                            throw new IllegalArgumentException(flag + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (flag) {
                        case "--backend" -> backend = backend(value);
                        case "--languages" -> languages = languages(flag, List.of(value.split(",", -1)));
                        case "--runs" -> runs = count(flag, value, MAX_RUNS);
                        default -> concurrency = count(flag, value, MAX_CONCURRENCY);
                    }
                }
                default -> {
                    if (arg.startsWith("-")) {
                        throw new IllegalArgumentException("unknown flag " + arg + " (flags: --backend, --languages, --runs,"
                                + " --concurrency, --json)");
                    }
                    positional.add(arg);
                }
            }
        }
        if (!positional.isEmpty()) {
            // The older form: RUNS LANGUAGE...
            if (runs != null || languages != null) {
                throw new IllegalArgumentException("unexpected argument " + positional.get(0)
                        + " (use --runs N and --languages a,b, not both forms)");
            }
            if (positional.get(0).chars().allMatch(Character::isDigit)) {
                runs = count("RUNS", positional.get(0), MAX_RUNS);
                positional = positional.subList(1, positional.size());
            }
            if (!positional.isEmpty()) {
                languages = languages("LANGUAGE", positional);
            }
        }
        return new BenchOptions(!backend.equals("docker"), !backend.equals("local"),
                languages == null ? ALL_LANGUAGES : languages, runs == null ? 10 : runs, concurrency, json);
    }

    private static String backend(String value) {
        if (!List.of("local", "docker", "all").contains(value)) {
            throw new IllegalArgumentException("--backend must be local, docker or all, was '" + value + "'");
        }
        return value;
    }

    private static List<String> languages(String flag, List<String> names) {
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : names) {
            String trimmed = name.trim();
            if (!ALL_LANGUAGES.contains(trimmed)) {
                throw new IllegalArgumentException(flag + ": no hello-world sample for '" + trimmed + "'; choose from "
                        + String.join(",", ALL_LANGUAGES));
            }
            chosen.add(trimmed);
        }
        return List.copyOf(chosen);
    }

    private static int count(String flag, String value, int max) {
        int parsed;
        try {
            parsed = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be a whole number, was '" + value + "'");
        }
        if (parsed < 1 || parsed > max) {
            throw new IllegalArgumentException(flag + " must be between 1 and " + max + ", was " + parsed);
        }
        return parsed;
    }
}
