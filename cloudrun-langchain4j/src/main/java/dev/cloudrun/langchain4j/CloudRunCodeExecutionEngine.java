package dev.cloudrun.langchain4j;

import dev.cloudrun.CodeRunner;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.Limits;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.langchain4j.code.CodeExecutionEngine;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A LangChain4j {@link CodeExecutionEngine} that runs each piece of code in a fresh CloudRun sandbox
 * of one language (Python unless told otherwise), with fixed limits, network off and an optional
 * stdin. Immutable and safe to share between threads: every {@code withX} method returns a copy.
 *
 * <pre>{@code
 * CodeExecutionEngine engine = CloudRunCodeExecutionEngine.create(runner)
 *         .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(5)));
 * engine.execute("print(6 * 7)");   // "42\n"
 * }</pre>
 *
 * <p>What {@link #execute(String)} returns:
 * <ul>
 *   <li>{@code OK}: the program's stdout (its first {@link #withMaxStdoutChars(int) 10,000}
 *       characters, with a note when more was cut); stderr is left out. A program that printed
 *       nothing gets a sentence saying so, never an empty string.</li>
 *   <li>Any other status: a text that starts with the status ({@code COMPILE_ERROR:},
 *       {@code RUNTIME_ERROR:}, {@code TIME_LIMIT:}, {@code MEMORY_LIMIT:}, {@code OUTPUT_LIMIT:},
 *       {@code CANCELLED:}, {@code INTERNAL_ERROR:}), says what happened and what to change (naming the
 *       limit that was hit), then the program's stdout, the last
 *       {@link #withMaxStderrChars(int) 4,000} characters of its stderr and of the compiler's
 *       output.</li>
 * </ul>
 * A program that fails is an answer, not an exception; failures of CloudRun itself (the runner is
 * closed, its queue is full) are {@link dev.cloudrun.CloudRunException}s.
 */
public final class CloudRunCodeExecutionEngine implements CodeExecutionEngine {
    /** The language used unless {@link #withLanguage(String)} names another. */
    public static final String DEFAULT_LANGUAGE = "python";

    private final CodeRunner runner;
    private final Language language;
    private final Limits limits;
    private final String stdin;
    private final OutputCaps caps;

    private CloudRunCodeExecutionEngine(CodeRunner runner, Language language, Limits limits, String stdin,
                                        OutputCaps caps) {
        this.runner = runner;
        this.language = language;
        this.limits = limits;
        this.stdin = stdin;
        this.caps = caps;
    }

    /**
     * An engine for Python with the runner's default limits and no stdin.
     *
     * @param runner the runner that owns the sandboxes; the caller keeps it and closes it
     * @return the engine
     */
    public static CloudRunCodeExecutionEngine create(CodeRunner runner) {
        Objects.requireNonNull(runner, "runner");
        return new CloudRunCodeExecutionEngine(runner, runner.languages().require(DEFAULT_LANGUAGE),
                runner.defaultLimits(), null, OutputCaps.DEFAULT);
    }

    /**
     * @param name a language id or alias the runner knows, such as {@code javascript} or {@code cpp}
     * @return a copy that runs code in that language
     * @throws InvalidRequestException for the field {@code language} when the runner does not know
     *     it or it cannot be executed (HTML is only previewed)
     */
    public CloudRunCodeExecutionEngine withLanguage(String name) {
        return new CloudRunCodeExecutionEngine(runner, Languages.requireRunnable(runner.languages(), name), limits,
                stdin, caps);
    }

    /**
     * @param adjustment changes the runner's default limits, for example
     *     {@code limits -> limits.withMemoryBytes(128L << 20)}
     * @return a copy with those limits
     * @throws InvalidRequestException naming the field ({@code limits.memoryBytes}, ...) when a value
     *     is out of range or above the runner's ceiling
     */
    public CloudRunCodeExecutionEngine withLimits(UnaryOperator<Limits> adjustment) {
        return withLimits(Objects.requireNonNull(adjustment, "adjustment").apply(runner.defaultLimits()));
    }

    /**
     * @param newLimits the limits of every run
     * @return a copy with those limits
     * @throws InvalidRequestException naming the field when a value is out of range or above the
     *     runner's ceiling
     */
    public CloudRunCodeExecutionEngine withLimits(Limits newLimits) {
        Objects.requireNonNull(newLimits, "limits").validateAgainst(runner.maxLimits());
        return new CloudRunCodeExecutionEngine(runner, language, newLimits, stdin, caps);
    }

    /**
     * @param text the standard input every run reads (null for none: the program reads end-of-file)
     * @return a copy with that stdin
     */
    public CloudRunCodeExecutionEngine withStdin(String text) {
        return new CloudRunCodeExecutionEngine(runner, language, limits, text, caps);
    }

    /**
     * @param chars how many characters of stdout go back (the first ones; 100 to 1,000,000, default 10,000)
     * @return a copy with that cap
     */
    public CloudRunCodeExecutionEngine withMaxStdoutChars(int chars) {
        return new CloudRunCodeExecutionEngine(runner, language, limits, stdin, caps.withStdoutChars(chars));
    }

    /**
     * @param chars how many characters of stderr and of compiler output go back (the last ones; 100 to
     *     1,000,000, default 4,000)
     * @return a copy with that cap
     */
    public CloudRunCodeExecutionEngine withMaxStderrChars(int chars) {
        return new CloudRunCodeExecutionEngine(runner, language, limits, stdin, caps.withStderrChars(chars));
    }

    /** @return the language code runs in */
    public Language language() {
        return language;
    }

    /** @return the limits of every run */
    public Limits limits() {
        return limits;
    }

    /**
     * Runs the code in a fresh sandbox and waits for it.
     *
     * @param code the program's source
     * @return stdout when it succeeded, otherwise a text that explains the status (see the class
     *     description)
     * @throws InvalidRequestException for the field {@code code} when it is null
     * @throws dev.cloudrun.CloudRunException when CloudRun cannot take the run (closed, queue full)
     */
    @Override
    public String execute(String code) {
        if (code == null) {
            throw new InvalidRequestException("code", "is required");
        }
        return new ResultText(limits, caps).forEngine(run(code));
    }

    /**
     * Runs the code as {@link #execute(String)} does and returns the whole result, for callers that
     * want the status, times and full output rather than text.
     *
     * @param code the program's source
     * @return the result
     */
    public RunResult run(String code) {
        RunRequest request = RunRequest.of(language.id(), Objects.requireNonNull(code, "code")).withLimits(limits);
        if (stdin != null) {
            request = request.withStdin(stdin);
        }
        return runner.run(request);
    }
}
