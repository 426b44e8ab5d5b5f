package dev.cloudrun.server.compat.jobe;

import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.RunRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The compile and run commands of Jobe's language tasks ({@code CTask}, {@code CppTask},
 * {@code JavaTask}, {@code Python3Task}, {@code NodejsTask}), with a run spec's
 * {@code compileargs}, {@code linkargs} and {@code interpreterargs} where Jobe puts them and Jobe's
 * defaults where the run spec gives none, as per-run command overrides of CloudRun's languages.
 *
 * <p>Jobe joins the arguments with spaces into a shell command, so one argument {@code "-x c"} is
 * two words: each is split on whitespace here (no other shell syntax is interpreted). Where Jobe's
 * commands differ from CloudRun's for the sandbox's sake, CloudRun's words stay: the executable is
 * {@code main} (the name CloudRun's run command and artefacts expect), and Java keeps the flags that
 * fit the JVM into the run's memory limit ({@code -XX:MaxRAM}, the serial collector) and
 * {@code -d .}. The commands run inside the sandbox like the language's own, so a client's
 * arguments give it no power its program does not have.
 */
final class JobeCommands {
    private static final List<String> C_COMPILE_ARGS = List.of("-Wall", "-Werror", "-std=c99", "-x c");
    private static final List<String> CPP_COMPILE_ARGS = List.of("-Wall", "-Werror");
    private static final List<String> PYTHON_INTERPRETER_ARGS = List.of("-BE");
    private static final List<String> NODE_INTERPRETER_ARGS = List.of("--use_strict");
    private static final List<String> JAVA_INTERPRETER_ARGS = List.of("-Xrs", "-Xss8m", "-Xmx200m");
    private static final List<String> JAVAC = List.of("javac", "-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1",
            "-J-XX:-UsePerfData", "-J-XX:MaxRAM={memoryBytes}", "-encoding", "UTF-8", "-d", ".");
    private static final List<String> JAVA = List.of("java", "-XX:+UseSerialGC", "-XX:-UsePerfData",
            "-XX:MaxRAM={memoryBytes}", "-XX:MaxRAMPercentage=50", "-Dfile.encoding=UTF-8", "-cp", ".");

    private JobeCommands() { }

    /**
     * @param spec the run spec
     * @param language the CloudRun language its {@code language_id} names
     * @param request the request built so far
     * @return the request with Jobe's commands for that language (unchanged for languages Jobe lacks)
     */
    static RunRequest apply(JobeRunSpec spec, Language language, RunRequest request) {
        try {
            return commands(spec, language, request);
        } catch (InvalidRequestException e) {
            // Jobe itself has no bound here; CloudRun's (256 words of 4096 characters, no NUL) named in Jobe's terms.
            String parameters = e.field().startsWith("compileCommand") ? "compileargs and linkargs" : "interpreterargs";
            throw new JobeException(400, "parameters " + parameters + " are not allowed: "
                    + e.getMessage().substring(e.field().length() + 2));
        }
    }

    private static RunRequest commands(JobeRunSpec spec, Language language, RunRequest request) {
        List<String> compileArgs = words(spec, "compileargs");
        List<String> linkArgs = words(spec, "linkargs");
        List<String> interpreterArgs = words(spec, "interpreterargs");
        switch (language.id()) {
            case "c":
                return compiled(request, "gcc", or(compileArgs, C_COMPILE_ARGS), linkArgs, interpreterArgs);
            case "cpp":
                return compiled(request, "g++", or(compileArgs, CPP_COMPILE_ARGS), linkArgs, interpreterArgs);
            case "python":
                return request.withRunCommand(concat(List.of("python3"), or(interpreterArgs, PYTHON_INTERPRETER_ARGS),
                        List.of("{file}")));
            case "javascript":
                return request.withRunCommand(concat(List.of("node"), or(interpreterArgs, NODE_INTERPRETER_ARGS),
                        List.of("{file}")));
            case "java":
                return request.withCompileCommand(concat(JAVAC, or(compileArgs, List.of()), List.of("{file}")))
                        .withRunCommand(concat(JAVA, or(interpreterArgs, JAVA_INTERPRETER_ARGS), List.of("{stem}")));
            default:
                return request;
        }
    }

    /** Jobe's {@code gcc compileargs -o prog src linkargs}; the program runs as {@code ./prog interpreterargs runargs}. */
    private static RunRequest compiled(RunRequest request, String compiler, List<String> compileArgs,
                                       List<String> linkArgs, List<String> interpreterArgs) {
        return request.withCompileCommand(concat(List.of(compiler), compileArgs, List.of("-o", "main", "{file}"), linkArgs))
                .withRunCommand(concat(List.of("./main"), interpreterArgs));
    }

    /** @return the parameter's words, or null when the run spec does not give it (so the default applies) */
    private static List<String> words(JobeRunSpec spec, String key) {
        Optional<List<String>> values = spec.strings(key);
        return values.map(JobeCommands::split).orElse(null);
    }

    private static List<String> or(List<String> given, List<String> jobeDefault) {
        return split(given != null ? given : jobeDefault);
    }

    private static List<String> split(List<String> arguments) {
        List<String> words = new ArrayList<>();
        for (String argument : arguments) {
            for (String word : argument.strip().split("\\s+")) {
                if (!word.isEmpty()) {
                    words.add(word);
                }
            }
        }
        return words;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            if (part != null) {
                all.addAll(split(part));
            }
        }
        return all;
    }
}
