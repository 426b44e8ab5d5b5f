package dev.cloudrun.internal.grading;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cloudrun.Checker;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.TestCase;
import dev.cloudrun.TestGroup;
import dev.cloudrun.TestSuite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Loads a {@link TestSuite} from a folder in the common layouts: {@code 1.in}/{@code 1.out} (or
 * {@code 1.ans}), Polygon's {@code tests/01}/{@code tests/01.a}, CMS's {@code input0.txt}/{@code output0.txt}
 * (or {@code input/input0.txt}/{@code output/output0.txt}), plus an optional {@code suite.json}.
 * Symbolic links are refused, not followed.
 */
public final class SuiteFolder {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_FILE_BYTES = 256L << 20;
    private static final Pattern PLAIN_INPUT = Pattern.compile("(.+)\\.in");
    private static final Pattern CMS_INPUT = Pattern.compile("input(.*)\\.txt");
    private static final Pattern POLYGON_INPUT = Pattern.compile("([0-9]+)");

    private SuiteFolder() { }

    /**
     * @param folder the folder
     * @return the suite
     * @throws InvalidRequestException naming the file or field at fault
     */
    public static TestSuite load(Path folder) {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidRequestException("tests", folder + " is not a folder");
        }
        Map<String, TestCase> cases = new TreeMap<>(SuiteFolder::compareNames);
        for (Path dir : List.of(folder, folder.resolve("tests"))) {
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                collectPairs(folder, dir, dir, cases);
            }
        }
        Path cmsInputs = folder.resolve("input");
        if (Files.isDirectory(cmsInputs, LinkOption.NOFOLLOW_LINKS)) {
            collectPairs(folder, cmsInputs, folder.resolve("output"), cases);
        }
        if (cases.isEmpty()) {
            throw new InvalidRequestException("cases", "no test cases in " + folder
                    + " (expected 1.in/1.out, tests/01 with tests/01.a, or input0.txt/output0.txt)");
        }
        Path config = folder.resolve("suite.json");
        List<TestCase> ordered = new ArrayList<>(cases.values());
        if (!Files.exists(config, LinkOption.NOFOLLOW_LINKS)) {
            return TestSuite.of(ordered);
        }
        return applyConfig(folder, readJson(config), ordered);
    }

    private static void collectPairs(Path root, Path inputs, Path outputs, Map<String, TestCase> cases) {
        List<String> names;
        try (Stream<Path> listing = Files.list(inputs)) {
            names = listing.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + inputs, e);
        }
        for (String name : names) {
            Matcher plain = PLAIN_INPUT.matcher(name);
            Matcher cms = CMS_INPUT.matcher(name);
            Matcher polygon = POLYGON_INPUT.matcher(name);
            String caseName;
            List<String> expected;
            if (plain.matches()) {
                caseName = plain.group(1);
                expected = List.of(caseName + ".out", caseName + ".ans");
            } else if (cms.matches()) {
                caseName = cms.group(1);
                expected = List.of("output" + caseName + ".txt");
            } else if (polygon.matches() && inputs.getFileName() != null && !inputs.equals(root.resolve("input"))) {
                caseName = name;
                expected = List.of(name + ".a");
            } else {
                continue;
            }
            Path input = inputs.resolve(name);
            if (!Files.isRegularFile(input, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            Path answer = expected.stream().map(outputs::resolve).filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                    .findFirst().orElseThrow(() -> new InvalidRequestException(relative(root, input),
                            "has no expected output file (" + String.join(" or ", expected) + ")"));
            if (caseName.isEmpty()) {
                caseName = name;
            }
            if (cases.containsKey(caseName)) {
                throw new InvalidRequestException(relative(root, input), "case " + caseName + " is given twice");
            }
            cases.put(caseName, TestCase.of(caseName, read(root, input), read(root, answer)));
        }
    }

    private static TestSuite applyConfig(Path folder, JsonNode config, List<TestCase> cases) {
        if (!config.isObject()) {
            throw new InvalidRequestException("suite.json", "must be a JSON object");
        }
        JsonNode points = config.path("points");
        List<TestCase> scored = new ArrayList<>();
        for (TestCase testCase : cases) {
            JsonNode value = points.isObject() ? points.path(testCase.name()) : points;
            if (value.isMissingNode() || value.isNull()) {
                scored.add(testCase);
            } else if (!value.isNumber()) {
                throw new InvalidRequestException("suite.json.points", "must be numbers, was " + value);
            } else {
                double amount = value.asDouble();
                if (amount < 0) {
                    throw new InvalidRequestException("suite.json.points[" + testCase.name() + "]",
                            "must be 0 or more, was " + amount);
                }
                scored.add(testCase.withPoints(amount));
            }
        }
        if (points.isObject()) {
            for (Iterator<String> names = points.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (cases.stream().noneMatch(c -> c.name().equals(name))) {
                    throw new InvalidRequestException("suite.json.points[" + name + "]", "names no case");
                }
            }
        }
        TestSuite suite = TestSuite.of(scored);
        for (JsonNode group : config.path("groups")) {
            List<String> members = new ArrayList<>();
            group.path("cases").forEach(member -> members.add(member.asText()));
            double groupPoints = group.path("points").asDouble(0);
            if (groupPoints < 0) {
                throw new InvalidRequestException("suite.json.groups[" + group.path("name").asText() + "].points",
                        "must be 0 or more, was " + groupPoints);
            }
            suite = suite.withGroup(new TestGroup(group.path("name").asText(""), groupPoints, members));
        }
        // Limits at the top level or under "limits": {"timeLimit": "1s", "memoryLimit": "256m", "outputLimit": "1m"}.
        JsonNode limits = config.path("limits").isObject() ? config.get("limits") : config;
        String prefix = limits == config ? "suite.json." : "suite.json.limits.";
        if (limits.hasNonNull("timeLimit")) {
            suite = suite.withTimeLimit(Quantities.duration(prefix + "timeLimit", limits.get("timeLimit").asText()));
        }
        if (limits.hasNonNull("memoryLimit")) {
            suite = suite.withMemoryLimit(Quantities.bytes(prefix + "memoryLimit", limits.get("memoryLimit").asText()));
        }
        if (limits.hasNonNull("outputLimit")) {
            long outputBytes = Quantities.bytes(prefix + "outputLimit", limits.get("outputLimit").asText());
            suite = suite.withLimits(l -> l.withMaxOutputBytes(outputBytes));
        }
        if (config.hasNonNull("fileIo")) {
            JsonNode fileIo = config.get("fileIo");
            suite = suite.withFileIo(fileIo.path("input").asText("input.txt"), fileIo.path("output").asText("output.txt"));
        }
        if (config.hasNonNull("checker")) {
            suite = suite.withChecker(checker(folder, config.get("checker")));
        }
        suite.validate();
        return suite;
    }

    /**
     * Reads a checker description: {@code "lines"}, {@code "tokens"}, {@code "exact"},
     * {@code {"type": "numbers", "absolute": 1e-6, "relative": 1e-6}} or
     * {@code {"type": "program", "file": "check.cpp", "language": "cpp"}}.
     */
    private static Checker checker(Path folder, JsonNode node) {
        String type = node.isTextual() ? node.asText() : node.path("type").asText("");
        return switch (type) {
            case "lines" -> Checker.lines();
            case "tokens" -> Checker.tokens();
            case "exact" -> Checker.exact();
            case "numbers" -> Checker.numbers(node.path("absolute").asDouble(1e-9), node.path("relative").asDouble(1e-9));
            case "program" -> {
                String file = node.path("file").asText("");
                if (file.isEmpty() || file.startsWith("/") || file.contains("..")) {
                    throw new InvalidRequestException("suite.json.checker.file", "must be a relative path inside the folder, was " + file);
                }
                yield program(folder.resolve(file), node.path("language").asText(null), "suite.json.checker");
            }
            default -> throw new InvalidRequestException("suite.json.checker",
                    "must be lines, tokens, exact, numbers or program, was " + node);
        };
    }

    /**
     * A checker program from a file.
     *
     * @param file the checker's source
     * @param language its language, or null to tell by the file's extension
     * @param field the field to name in errors
     * @return the checker
     */
    public static Checker program(Path file, String language, String field) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidRequestException(field, file + " is not a file");
        }
        String id = language != null ? language : LanguageRegistry.loadDefault().forFileName(file.getFileName().toString())
                .map(dev.cloudrun.Language::id)
                .orElseThrow(() -> new InvalidRequestException(field, "cannot tell the language of " + file.getFileName()));
        try {
            return Checker.program(id, Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidRequestException(field, "cannot read " + file + ": " + e.getMessage());
        }
    }

    private static JsonNode readJson(Path config) {
        try {
            return JSON.readTree(Files.readString(config, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new InvalidRequestException("suite.json", "is not valid JSON: " + e.getMessage());
        }
    }

    private static byte[] read(Path root, Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidRequestException(relative(root, file), "is not a regular file (links are refused)");
        }
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new InvalidRequestException(relative(root, file), "is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString();
    }

    /** Orders names numerically where both are numbers ("2" before "10"), otherwise as text. */
    private static int compareNames(String a, String b) {
        boolean aNumber = a.matches("\\d{1,18}");
        boolean bNumber = b.matches("\\d{1,18}");
        if (aNumber && bNumber) {
            int byValue = Long.compare(Long.parseLong(a), Long.parseLong(b));
            return byValue != 0 ? byValue : a.compareTo(b);
        }
        return aNumber ? -1 : bNumber ? 1 : Comparator.<String>naturalOrder().compare(a, b);
    }
}
