package dev.cloudrun.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.BackendKind;
import dev.cloudrun.CaseReport;
import dev.cloudrun.Checker;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.GradeListener;
import dev.cloudrun.GradeReport;
import dev.cloudrun.Grader;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.LanguageRegistry;
import dev.cloudrun.RunRequest;
import dev.cloudrun.TestSuite;
import dev.cloudrun.Verdict;
import dev.cloudrun.cli.CloudRunCli.UsageException;
import dev.cloudrun.internal.grading.Quantities;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code cloudrun grade SOLUTION --tests DIR [--lang ID] [--time-limit 0.5s] [--memory-limit 128m]
 * [--checker FILE] [--backend B] [--json]}: grades a solution against a test folder, printing a
 * row per case as it is judged and the score; exits 0 only when every case is accepted, 1 when one
 * is not, 70 on an internal error.
 */
final class GradeCommand {
    /** Exit code when a case was not accepted. */
    static final int EXIT_NOT_ACCEPTED = 1;
    /** Exit code when CloudRun itself failed. */
    static final int EXIT_INTERNAL = 70;

    static final String USAGE = "cloudrun grade SOLUTION --tests DIR [--lang ID] [--time-limit 0.5s] [--memory-limit 128m]\n"
            + "                              [--checker FILE] [--backend auto|local|docker] [--json]";

    private final PrintStream out;
    private final PrintStream err;

    GradeCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** The options of {@code cloudrun grade}. */
    static final class Options {
        Path solution;
        Path tests;
        String language;
        Duration timeLimit;
        Long memoryLimit;
        Path checker;
        BackendKind backend = BackendKind.AUTO;
        boolean json;

        static Options parse(List<String> args) {
            Options options = new Options();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--tests" -> options.tests = Path.of(Arguments.value(args, ++i, arg));
                    case "--lang" -> options.language = Arguments.value(args, ++i, arg);
                    case "--time-limit" -> options.timeLimit = Quantities.duration("--time-limit", Arguments.value(args, ++i, arg));
                    case "--memory-limit" -> options.memoryLimit = Quantities.bytes("--memory-limit", Arguments.value(args, ++i, arg));
                    case "--checker" -> options.checker = Path.of(Arguments.value(args, ++i, arg));
                    case "--backend" -> options.backend = Arguments.backend(Arguments.value(args, ++i, arg));
                    case "--json" -> options.json = true;
                    default -> {
                        if (arg.startsWith("--")) {
                            throw new UsageException("unknown option " + arg);
                        }
                        if (options.solution != null) {
                            throw new UsageException("grade takes one SOLUTION file");
                        }
                        options.solution = Path.of(arg);
                    }
                }
            }
            if (options.solution == null) {
                throw new UsageException("grade needs a SOLUTION file");
            }
            if (options.tests == null) {
                throw new UsageException("grade needs --tests DIR");
            }
            return options;
        }

    }

    int run(List<String> args) {
        Options options = Options.parse(args);
        byte[] source = read(options.solution, "SOLUTION");
        if (!Files.isDirectory(options.tests)) {
            throw new UsageException("--tests " + options.tests + " is not a folder");
        }
        TestSuite suite = TestSuite.load(options.tests);
        if (options.timeLimit != null) {
            suite = suite.withTimeLimit(options.timeLimit);
        }
        if (options.memoryLimit != null) {
            suite = suite.withMemoryLimit(options.memoryLimit);
        }
        LanguageRegistry languages = LanguageRegistry.loadDefault();
        if (options.checker != null) {
            Language checkerLanguage = languageOf(languages, options.checker, null, "--checker");
            suite = suite.withChecker(Checker.program(checkerLanguage.id(),
                    new String(read(options.checker, "--checker"), StandardCharsets.UTF_8)));
        }
        Language language = languageOf(languages, options.solution, options.language, "language");
        RunRequest submission = RunRequest.of(language.id(), source);
        String baseName = options.solution.getFileName().toString();
        if (!language.derivesFileNameFromSource() && language.extensions().stream().anyMatch(baseName::endsWith)) {
            submission = submission.withMainFileName(baseName);
        }
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(options.backend))) {
            out.printf(Locale.ROOT, "%-12s %-19s %9s %10s  %s%n", "CASE", "VERDICT", "TIME", "MEMORY", "MESSAGE");
            GradeReport report = Grader.create(runner).withListener(new GradeListener() {
                @Override
                public void onCompiled(boolean success, String compilerOutput) {
                    if (!compilerOutput.isBlank()) {
                        err.println(compilerOutput.strip());
                    }
                }

                @Override
                public void onCase(CaseReport report) {
                    out.printf(Locale.ROOT, "%-12s %-19s %6d ms %7d KiB  %s%n", report.name(), report.verdict(),
                            report.cpuTime().toMillis(), report.memoryBytes() >> 10, firstLine(report.message()));
                    out.flush();
                }
            }).grade(submission, suite);
            out.println("score " + number(report.score()) + "/" + number(report.maxScore()) + "  " + report.verdict()
                    + "  (" + report.message() + ")");
            if (options.json) {
                out.println(toJson(report));
            }
            out.flush();
            return report.accepted() ? 0 : report.verdict() == Verdict.INTERNAL_ERROR ? EXIT_INTERNAL : EXIT_NOT_ACCEPTED;
        }
    }

    private static Language languageOf(LanguageRegistry languages, Path file, String given, String field) {
        if (given != null) {
            return languages.require(given);
        }
        return languages.forFileName(file.getFileName().toString()).orElseThrow(() -> new InvalidRequestException(field,
                "cannot tell the language of " + file.getFileName() + " from its extension"
                        + (field.equals("language") ? "; pass --lang ID" : "")));
    }

    private static byte[] read(Path file, String what) {
        try {
            return Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UsageException("no such file: " + file + " (" + what + ")");
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String firstLine(String message) {
        String line = message.strip().lines().findFirst().orElse("");
        return line.length() > 100 ? line.substring(0, 100) + "…" : line;
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.2f", value);
    }

    /** @return the report as one line of JSON: verdict, score, maxScore, compilerOutput and cases */
    static String toJson(GradeReport report) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = json.createObjectNode();
        node.put("verdict", report.verdict().name());
        node.put("score", report.score());
        node.put("maxScore", report.maxScore());
        node.put("compilerOutput", report.compilerOutput());
        ArrayNode cases = node.putArray("cases");
        for (CaseReport caseReport : report.cases()) {
            ObjectNode entry = cases.addObject();
            entry.put("name", caseReport.name());
            entry.put("verdict", caseReport.verdict().name());
            entry.put("timeMs", caseReport.cpuTime().toMillis());
            entry.put("memoryBytes", caseReport.memoryBytes());
            entry.put("message", caseReport.message());
        }
        return node.toString();
    }
}
