package dev.cloudrun.langchain4j;

import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Ready LangChain4j tools that let a model run code in CloudRun's sandboxes: {@code runCode} and
 * {@code listLanguages}. Give an instance to {@code AiServices.builder(...).tools(...)}.
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)
 *         .tools(CloudRunTools.create(runner).withLanguages("python", "javascript"))
 *         .build();
 * }</pre>
 *
 * <p>Every call runs in a fresh sandbox with the limits configured here (the model cannot raise
 * them) and network off. {@code runCode} always answers with text, never with an exception: the
 * status ({@code OK}, {@code COMPILE_ERROR}, {@code RUNTIME_ERROR}, {@code TIME_LIMIT},
 * {@code MEMORY_LIMIT}, {@code OUTPUT_LIMIT}, {@code CANCELLED}, {@code INTERNAL_ERROR}), what happened
 * and what to change, the exit code, time and memory, then the first characters of stdout and the
 * last of stderr and compiler output. Bad arguments (an unknown or disabled language, empty or
 * oversize code) come back as {@code error: <field>: <problem>. Nothing was run.}, so the model can
 * correct itself.
 *
 * <p>Immutable and safe to call from many threads at once (for example with
 * {@code AiServices.executeToolsConcurrently()}): each call is one independent run on the shared
 * runner, which queues what it cannot run yet.
 */
public final class CloudRunTools {
    /** The most characters of code {@code runCode} accepts. */
    public static final int MAX_CODE_CHARS = 100_000;
    /** The most characters of stdin {@code runCode} accepts. */
    public static final int MAX_STDIN_CHARS = 100_000;

    private final CodeRunner runner;
    private final List<Language> languages;
    private final Limits limits;
    private final OutputCaps caps;

    private CloudRunTools(CodeRunner runner, List<Language> languages, Limits limits, OutputCaps caps) {
        this.runner = runner;
        this.languages = List.copyOf(languages);
        this.limits = limits;
        this.caps = caps;
    }

    /**
     * Tools that accept every language the runner can execute, with the runner's default limits.
     *
     * @param runner the runner that owns the sandboxes; the caller keeps it and closes it
     * @return the tools
     */
    public static CloudRunTools create(CodeRunner runner) {
        Objects.requireNonNull(runner, "runner");
        List<Language> runnable = runner.languages().all().stream().filter(language -> !language.previewOnly()).toList();
        return new CloudRunTools(runner, runnable, runner.defaultLimits(), OutputCaps.DEFAULT);
    }

    /**
     * @param names the ids or aliases of the only languages the model may use
     * @return a copy that accepts only those
     * @throws InvalidRequestException for the field {@code languages} when none is given, or
     *     {@code language} when one is unknown or cannot be executed
     */
    public CloudRunTools withLanguages(String... names) {
        if (names.length == 0) {
            throw new InvalidRequestException("languages", "must name at least one language");
        }
        List<Language> chosen = new ArrayList<>();
        for (String name : Arrays.asList(names)) {
            Language language = Languages.requireRunnable(runner.languages(), name);
            if (!chosen.contains(language)) {
                chosen.add(language);
            }
        }
        return new CloudRunTools(runner, chosen, limits, caps);
    }

    /**
     * @param adjustment changes the runner's default limits, for example
     *     {@code limits -> limits.withWallTime(Duration.ofSeconds(5))}
     * @return a copy with those limits
     * @throws InvalidRequestException naming the field when a value is out of range or above the
     *     runner's ceiling
     */
    public CloudRunTools withLimits(UnaryOperator<Limits> adjustment) {
        return withLimits(Objects.requireNonNull(adjustment, "adjustment").apply(runner.defaultLimits()));
    }

    /**
     * @param newLimits the limits of every run
     * @return a copy with those limits
     * @throws InvalidRequestException naming the field when a value is out of range or above the
     *     runner's ceiling
     */
    public CloudRunTools withLimits(Limits newLimits) {
        Objects.requireNonNull(newLimits, "limits").validateAgainst(runner.maxLimits());
        return new CloudRunTools(runner, languages, newLimits, caps);
    }

    /**
     * @param chars how many characters of stdout go back (the first ones; 100 to 1,000,000, default 10,000)
     * @return a copy with that cap
     */
    public CloudRunTools withMaxStdoutChars(int chars) {
        return new CloudRunTools(runner, languages, limits, caps.withStdoutChars(chars));
    }

    /**
     * @param chars how many characters of stderr and of compiler output go back (the last ones; 100 to
     *     1,000,000, default 4,000)
     * @return a copy with that cap
     */
    public CloudRunTools withMaxStderrChars(int chars) {
        return new CloudRunTools(runner, languages, limits, caps.withStderrChars(chars));
    }

    /** @return the limits of every run */
    public Limits limits() {
        return limits;
    }

    /**
     * Runs a program in a fresh sandbox and reports how it went.
     *
     * @param language a language id or alias
     * @param code the program's source
     * @param stdin its standard input, or null for none
     * @return the status, what happened, exit code, time, memory and capped output; or
     *     {@code error: <field>: <problem>. Nothing was run.}
     */
    @Tool(name = "runCode", value = "Runs a complete program in a fresh, isolated sandbox with no network and fixed time"
            + " and memory limits, and returns its status (OK, COMPILE_ERROR, RUNTIME_ERROR, TIME_LIMIT, MEMORY_LIMIT,"
            + " OUTPUT_LIMIT, CANCELLED, INTERNAL_ERROR), exit code, time, memory, stdout and stderr. Nothing carries"
            + " over between calls (no files, no variables), so print every value you need to see.")
    public String runCode(
            @P(name = "language", description = "The language id, for example python, javascript, java, cpp, c or bash;"
                    + " listLanguages lists the accepted ones") String language,
            @P(name = "code", description = "The whole program's source, at most 100000 characters") String code,
            @P(name = "stdin", description = "Text the program reads on standard input, at most 100000 characters;"
                    + " omit it for none", required = false) String stdin) {
        try {
            Language chosen = accepted(language);
            if (code == null || code.isBlank()) {
                throw new InvalidRequestException("code", "is empty");
            }
            if (code.length() > MAX_CODE_CHARS) {
                throw new InvalidRequestException("code", "has " + code.length() + " characters, more than " + MAX_CODE_CHARS);
            }
            if (stdin != null && stdin.length() > MAX_STDIN_CHARS) {
                throw new InvalidRequestException("stdin", "has " + stdin.length() + " characters, more than " + MAX_STDIN_CHARS);
            }
            RunRequest request = RunRequest.of(chosen.id(), code).withLimits(limits);
            if (stdin != null && !stdin.isEmpty()) {
                request = request.withStdin(stdin);
            }
            return new ResultText(limits, caps).forTool(runner.run(request));
        } catch (InvalidRequestException invalid) {
            String field = invalid.field().equals("source") ? "code" : invalid.field();
            return "error: " + field + ": " + invalid.getMessage().substring(invalid.field().length() + 2)
                    + ". Nothing was run.";
        } catch (CloudRunException unavailable) {
            return "error: the sandbox could not take the run (" + unavailable.getMessage()
                    + "). Nothing was run; try again later.";
        }
    }

    /**
     * Lists the languages {@link #runCode} accepts and the limits every run has.
     *
     * @return one line per language ({@code id: display name; also aliases}) and a line of limits
     */
    @Tool(name = "listLanguages", value = "Lists the languages runCode accepts (id, name, other names) and the limits"
            + " every run has.")
    public String listLanguages() {
        StringBuilder text = new StringBuilder("languages (use the id as runCode's language):\n");
        for (Language language : languages) {
            text.append(language.id()).append(": ").append(language.displayName());
            if (!language.aliases().isEmpty()) {
                text.append("; also ").append(String.join(", ", language.aliases()));
            }
            text.append('\n');
        }
        text.append(String.format(Locale.ROOT, "limits of every run: %d s wall clock, %d s CPU, %d MiB memory,"
                        + " %d processes, %d bytes of output, %d s to compile; network off",
                limits.wallTime().toSeconds(), limits.cpuTime().toSeconds(), limits.memoryBytes() >> 20,
                limits.maxProcesses(), limits.maxOutputBytes(), limits.compileTime().toSeconds()));
        return text.toString();
    }

    private Language accepted(String name) {
        if (name == null || name.isBlank()) {
            throw new InvalidRequestException("language", "is required; languages: " + Languages.ids(languages));
        }
        Language language = runner.languages().find(name).orElse(null);
        if (language == null || !languages.contains(language)) {
            throw new InvalidRequestException("language", "unknown or not enabled language '" + name
                    + "'; languages: " + Languages.ids(languages));
        }
        return language;
    }
}
