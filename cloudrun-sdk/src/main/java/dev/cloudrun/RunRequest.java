package dev.cloudrun;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What to run: a language, a main source, optional extra files, stdin, arguments, environment
 * variables, limits and network access. Immutable: every {@code withX} method returns a copy, so a
 * request can be shared and reused.
 *
 * <pre>{@code
 * RunRequest request = RunRequest.of("python", "print(input().upper())")
 *         .withStdin("hello\n")
 *         .withLimits(limits -> limits.withWallTime(Duration.ofSeconds(2)));
 * }</pre>
 *
 * <p>What can be checked on its own is checked at once: text must be valid Unicode
 * ({@link #withFile(String, String)}), and {@link #withAutoInstall(int)}, {@link #withPackageCache(String)}
 * and {@link #withFairnessKey(String)} check their argument. Everything that depends on the runner (the
 * language, file paths, limits against its ceiling, variable names) is checked when the request is
 * run: {@link CodeRunner} then rejects bad values with an {@link InvalidRequestException} naming the
 * field, before anything runs.
 */
public final class RunRequest {
    private final String language;
    private final byte[] source;
    private final String mainFileName;
    private final Map<String, byte[]> files;
    private final byte[] stdin;
    private final boolean interactiveStdin;
    private final List<String> args;
    private final Map<String, String> env;
    private final UnaryOperator<Limits> limits;
    private final boolean network;
    private final int autoInstallAttempts;
    private final String packageCache;
    private final String fairnessKey;
    private final boolean stderrToStdout;
    private final boolean terminal;
    private final List<String> compileCommand;
    private final List<String> runCommand;

    /** The most words a command override may hold. */
    public static final int MAX_COMMAND_WORDS = 256;
    /** The most characters one word of a command override may hold. */
    public static final int MAX_COMMAND_WORD_CHARS = 4096;
    private final boolean compileCache;
    private final String outputFolder;
    private final long maxOutputFilesBytes;

    private RunRequest(Fields fields) {
        this.language = fields.language;
        this.source = fields.source;
        this.mainFileName = fields.mainFileName;
        this.files = fields.files;
        this.stdin = fields.stdin;
        this.interactiveStdin = fields.interactiveStdin;
        this.args = fields.args;
        this.env = fields.env;
        this.limits = fields.limits;
        this.network = fields.network;
        this.autoInstallAttempts = fields.autoInstallAttempts;
        this.packageCache = fields.packageCache;
        this.fairnessKey = fields.fairnessKey;
        this.stderrToStdout = fields.stderrToStdout;
        this.terminal = fields.terminal;
        this.compileCommand = fields.compileCommand;
        this.runCommand = fields.runCommand;
        this.compileCache = fields.compileCache;
        this.outputFolder = fields.outputFolder;
        this.maxOutputFilesBytes = fields.maxOutputFilesBytes;
    }

    /** The values of a request while a copy is being made; never leaves this class. */
    private static final class Fields {
        String language;
        byte[] source;
        String mainFileName;
        Map<String, byte[]> files = Map.of();
        byte[] stdin;
        boolean interactiveStdin;
        List<String> args = List.of();
        Map<String, String> env = Map.of();
        UnaryOperator<Limits> limits = UnaryOperator.identity();
        boolean network;
        int autoInstallAttempts;
        String packageCache;
        String fairnessKey;
        boolean stderrToStdout;
        boolean terminal;
        List<String> compileCommand;
        List<String> runCommand;
        boolean compileCache = true;
        String outputFolder;
        long maxOutputFilesBytes;
    }

    /** @return a copy of this request with one change made by {@code change} */
    private RunRequest with(Consumer<Fields> change) {
        Fields fields = new Fields();
        fields.language = language;
        fields.source = source;
        fields.mainFileName = mainFileName;
        fields.files = files;
        fields.stdin = stdin;
        fields.interactiveStdin = interactiveStdin;
        fields.args = args;
        fields.env = env;
        fields.limits = limits;
        fields.network = network;
        fields.autoInstallAttempts = autoInstallAttempts;
        fields.packageCache = packageCache;
        fields.fairnessKey = fairnessKey;
        fields.stderrToStdout = stderrToStdout;
        fields.terminal = terminal;
        fields.compileCommand = compileCommand;
        fields.runCommand = runCommand;
        fields.compileCache = compileCache;
        fields.outputFolder = outputFolder;
        fields.maxOutputFilesBytes = maxOutputFilesBytes;
        change.accept(fields);
        return new RunRequest(fields);
    }

    /**
     * Starts a request for a language (id or alias, such as {@code python}, {@code js}, {@code cpp})
     * with its main source.
     *
     * @param language the language id or alias
     * @param source the main program's text
     * @return a new request with no stdin, no arguments, default limits and network off
     */
    public static RunRequest of(String language, String source) {
        Objects.requireNonNull(source, "source");
        return of(language, Utf8.encodeStrict("source", source));
    }

    /**
     * Starts a request whose main source is given as bytes; it must be valid UTF-8 for a text language.
     *
     * @param language the language id or alias
     * @param source the main program's bytes
     * @return a new request with no stdin, no arguments, default limits and network off
     */
    public static RunRequest of(String language, byte[] source) {
        Fields fields = new Fields();
        fields.language = language;
        fields.source = Objects.requireNonNull(source, "source").clone();
        return new RunRequest(fields);
    }

    /**
     * Names the main file instead of letting the language choose (for example {@code app.py}).
     *
     * @param fileName a plain relative file name
     * @return a copy with that main file name
     */
    public RunRequest withMainFileName(String fileName) {
        return with(fields -> fields.mainFileName = fileName);
    }

    /**
     * Adds a text file beside the main source, stored as UTF-8.
     *
     * @param path a relative path; nested folders such as {@code data/input.txt} are created
     * @param text the file's content
     * @return a copy with the file added (replacing one with the same path)
     */
    public RunRequest withFile(String path, String text) {
        return withFile(path, Utf8.encodeStrict("files[" + path + "]", Objects.requireNonNull(text, "text")));
    }

    /**
     * Adds a binary file beside the main source, byte for byte.
     *
     * @param path a relative path; nested folders such as {@code img/logo.png} are created
     * @param content the file's bytes
     * @return a copy with the file added (replacing one with the same path)
     */
    public RunRequest withFile(String path, byte[] content) {
        Map<String, byte[]> copy = new LinkedHashMap<>(files);
        copy.put(Objects.requireNonNull(path, "path"), Objects.requireNonNull(content, "content").clone());
        return with(fields -> fields.files = Collections.unmodifiableMap(copy));
    }

    /**
     * Gives the program's whole standard input up front; the program sees end-of-file after it.
     *
     * @param text the input, encoded as UTF-8
     * @return a copy with that stdin
     */
    public RunRequest withStdin(String text) {
        return withStdin(Objects.requireNonNull(text, "stdin").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Gives the program's whole standard input up front as bytes.
     *
     * @param bytes the input
     * @return a copy with that stdin
     */
    public RunRequest withStdin(byte[] bytes) {
        byte[] copy = Objects.requireNonNull(bytes, "stdin").clone();
        return with(fields -> {
            fields.stdin = copy;
            fields.interactiveStdin = false;
        });
    }

    /**
     * Keeps standard input open so the caller can write to it while the program runs, through
     * {@link Execution#writeStdin(String)}, until {@link Execution#closeStdin()}. Without this (and
     * without {@link #withStdin(String)}) the program reads end-of-file at once.
     *
     * @return a copy with interactive stdin
     */
    public RunRequest withInteractiveStdin() {
        return with(fields -> {
            fields.stdin = null;
            fields.interactiveStdin = true;
        });
    }

    /**
     * Sets the program's command-line arguments.
     *
     * @param arguments the arguments, passed as they are (no shell is involved)
     * @return a copy with those arguments
     */
    public RunRequest withArgs(String... arguments) {
        return withArgs(Arrays.asList(arguments));
    }

    /**
     * Sets the program's command-line arguments.
     *
     * @param arguments the arguments, passed as they are (no shell is involved)
     * @return a copy with those arguments
     */
    public RunRequest withArgs(List<String> arguments) {
        List<String> copy = List.copyOf(arguments);
        return with(fields -> fields.args = copy);
    }

    /**
     * Adds an environment variable. The sandbox's environment holds only the variables named
     * here plus a minimal {@code PATH}, {@code HOME} and {@code LANG}; nothing leaks from the host.
     *
     * @param name the variable's name
     * @param value its value
     * @return a copy with the variable set
     */
    public RunRequest withEnv(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(env);
        copy.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return with(fields -> fields.env = Collections.unmodifiableMap(copy));
    }

    /**
     * Replaces the limits entirely.
     *
     * @param newLimits the limits to use
     * @return a copy with those limits
     */
    public RunRequest withLimits(Limits newLimits) {
        Objects.requireNonNull(newLimits, "limits");
        return with(fields -> fields.limits = ignored -> newLimits);
    }

    /**
     * Adjusts the runner's default limits, for example
     * {@code withLimits(l -> l.withMemoryBytes(128L << 20))}. Adjustments chain.
     *
     * @param adjustment a function from the runner's defaults to this run's limits
     * @return a copy with the adjustment applied after any earlier one
     */
    public RunRequest withLimits(UnaryOperator<Limits> adjustment) {
        Objects.requireNonNull(adjustment, "adjustment");
        UnaryOperator<Limits> previous = limits;
        return with(fields -> fields.limits = base -> adjustment.apply(previous.apply(base)));
    }

    /**
     * Carries out the regular files the program leaves in a folder of its working directory (plots,
     * reports): after the run step, {@code tar} inside the sandbox archives the folder and the host
     * parses that stream strictly (links and special files are refused, never followed). They come
     * back as {@link RunResult#outputFiles()}; when they hold more than {@code maxBytes} none come
     * back and {@link RunResult#message()} says so. A folder the program did not make gives none.
     *
     * @param folder a relative folder, such as {@code out}
     * @param maxBytes the most the files may hold together
     * @return a copy that collects them
     * @throws InvalidRequestException if the folder is not a plain relative path or the cap is not positive
     */
    public RunRequest withOutputFiles(String folder, long maxBytes) {
        Objects.requireNonNull(folder, "folder");
        String normalized = dev.cloudrun.internal.WorkspacePaths.normalize("outputFolder", folder);
        if (normalized.startsWith("-")) {
            throw new InvalidRequestException("outputFolder", "must not start with '-'");
        }
        if (maxBytes <= 0) {
            throw new InvalidRequestException("maxOutputFilesBytes", "must be positive");
        }
        return with(fields -> {
            fields.outputFolder = normalized;
            fields.maxOutputFilesBytes = maxBytes;
        });
    }

    /** @return the folder whose files the run carries out ({@link #withOutputFiles}), if any */
    public Optional<String> outputFolder() {
        return Optional.ofNullable(outputFolder);
    }

    /** @return the most the carried-out files may hold together (0 when none are collected) */
    public long maxOutputFilesBytes() {
        return maxOutputFilesBytes;
    }

    /**
     * Turns network access on or off (off by default).
     *
     * @param enabled whether the program may use the network
     * @return a copy with that setting
     */
    public RunRequest withNetwork(boolean enabled) {
        return with(fields -> fields.network = enabled);
    }

    /**
     * Installs missing packages automatically: declared dependencies ({@code requirements.txt},
     * {@code package.json} among the files) before the run, then, each time the program fails
     * because a module is missing, installs its package and runs the program again, at most three
     * times. Installation runs in its own sandbox step with network access; the program itself
     * still runs with network off. Without this option missing packages are only reported
     * ({@link RunResult#missingPackages()}, {@link RunListener#onMissingPackages}).
     *
     * @return a copy with auto-install on
     */
    public RunRequest withAutoInstall() {
        return withAutoInstall(3);
    }

    /**
     * Like {@link #withAutoInstall()} with a limit on install-and-re-run rounds.
     *
     * @param maxAttempts how many install rounds at most (0 turns auto-install off again)
     * @return a copy with that setting
     */
    public RunRequest withAutoInstall(int maxAttempts) {
        if (maxAttempts < 0 || maxAttempts > 10) {
            throw new InvalidRequestException("autoInstall", "attempts must be between 0 and 10, was " + maxAttempts);
        }
        return with(fields -> fields.autoInstallAttempts = maxAttempts);
    }

    /**
     * Keeps installed packages in a named cache so later runs with the same name find them installed
     * (mounted read-only). Use one name per project, or per user. Without a name, what a run
     * installs is discarded when it ends.
     *
     * @param name letters, digits and {@code ._:-}, for example {@code project-42}
     * @return a copy using that cache
     */
    public RunRequest withPackageCache(String name) {
        if (name == null || !name.matches("[A-Za-z0-9._:-]{1,100}")) {
            throw new InvalidRequestException("packageCache", "must be 1 to 100 letters, digits or ._:- characters");
        }
        return with(fields -> fields.packageCache = name);
    }

    /**
     * Puts this run in a fairness group, such as the user or course it belongs to. A runner's queue
     * serves its groups in turn, one run each, so a group that queues 2,000 runs does not starve
     * another's single run; within a group, and among runs without a group, the order is
     * first-come first-served.
     *
     * @param key 1 to 200 characters naming the group
     * @return a copy in that group
     */
    public RunRequest withFairnessKey(String key) {
        if (key == null || key.isEmpty() || key.length() > 200) {
            throw new InvalidRequestException("fairnessKey", "must be 1 to 200 characters");
        }
        return with(fields -> fields.fairnessKey = key);
    }

    /**
     * Gives the program one output stream: its stderr (fd 2) is the same pipe as its stdout (fd 1),
     * so the kernel keeps the two in exactly the order of the writes, as a terminal shows them. The
     * result's {@link RunResult#stderr()} is then empty and every live chunk arrives as
     * {@link StreamKind#STDOUT}. Only the run step is merged: compiler output stays apart.
     *
     * @return a copy with stderr sent to stdout
     */
    public RunRequest withStderrToStdout() {
        return with(fields -> fields.stderrToStdout = true);
    }

    /**
     * Runs the program on a pseudo-terminal, as a terminal window would: its stdin, stdout and
     * stderr are one terminal of the sandbox's own, so {@code isatty()} is true (colour libraries
     * colour, {@code input()} behaves as at a prompt) and the kernel keeps every write of stdout and
     * stderr in exactly the order made, which two pipes cannot when writes come closer together
     * than one read. Everything the program writes arrives as {@link StreamKind#STDOUT} (the
     * result's {@link RunResult#stderr()} is empty), with {@code \n} kept as written. With
     * {@linkplain #withInteractiveStdin() interactive stdin} the terminal echoes and edits what it
     * reads, as when a person types at one (send keystrokes as typed; Ctrl+D, {@code "\u0004"}, at
     * the start of a line is end-of-file, and so is closing stdin); stdin given whole is not echoed.
     * Only the run step gets the terminal: compiler output stays apart.
     *
     * @return a copy that runs on a terminal
     */
    public RunRequest withTerminal() {
        return with(fields -> fields.terminal = true);
    }

    /**
     * Replaces the language's compile command for this run, for example
     * {@code List.of("gcc", "-DGREETING=\"hi\"", "-o", "main", "{file}")}. The words take the same
     * placeholders as the language's own: {@code {file}} (the main file), {@code {stem}} (its name
     * without extension), {@code {memoryBytes}} and {@code {memoryMiB}} (the step's memory limit).
     * The command is passed as a list of words (no shell is involved) and must produce what the
     * language's run command expects (for C, {@code ./main}). A language without a compile step
     * refuses it when the request is run.
     *
     * <p>The command runs inside the sandbox, as the sandbox user, under the step's limits, exactly
     * like the language's own command: it gives no power the program itself does not have.
     *
     * @param command 1 to {@value #MAX_COMMAND_WORDS} words of at most {@value #MAX_COMMAND_WORD_CHARS}
     *     characters, without NUL
     * @return a copy with that compile command
     * @throws InvalidRequestException naming {@code compileCommand} when the command breaks those rules
     */
    public RunRequest withCompileCommand(List<String> command) {
        List<String> checked = checkedCommand("compileCommand", command);
        return with(fields -> fields.compileCommand = checked);
    }

    /**
     * Replaces the language's run command for this run, for example
     * {@code List.of("python3", "-O", "{file}")}; the arguments ({@link #withArgs(List)}) follow it.
     * The placeholders are those of {@link #withCompileCommand(List)}. The command runs inside the
     * sandbox, as the sandbox user, under the run's limits, exactly like the language's own command:
     * it gives no power the program itself does not have.
     *
     * @param command 1 to {@value #MAX_COMMAND_WORDS} words of at most {@value #MAX_COMMAND_WORD_CHARS}
     *     characters, without NUL
     * @return a copy with that run command
     * @throws InvalidRequestException naming {@code runCommand} when the command breaks those rules
     */
    public RunRequest withRunCommand(List<String> command) {
        List<String> checked = checkedCommand("runCommand", command);
        return with(fields -> fields.runCommand = checked);
    }

    private static List<String> checkedCommand(String field, List<String> command) {
        if (command == null || command.isEmpty()) {
            throw new InvalidRequestException(field, "must hold at least one word");
        }
        if (command.size() > MAX_COMMAND_WORDS) {
            throw new InvalidRequestException(field, "must hold at most " + MAX_COMMAND_WORDS + " words, held " + command.size());
        }
        for (int i = 0; i < command.size(); i++) {
            String word = command.get(i);
            String wordField = field + "[" + i + "]";
            if (word == null) {
                throw new InvalidRequestException(wordField, "is null");
            }
            if (word.length() > MAX_COMMAND_WORD_CHARS) {
                throw new InvalidRequestException(wordField, "must be at most " + MAX_COMMAND_WORD_CHARS
                        + " characters, was " + word.length());
            }
            if (word.indexOf('\0') >= 0) {
                throw new InvalidRequestException(wordField, "holds a NUL character");
            }
        }
        if (command.get(0).isEmpty()) {
            throw new InvalidRequestException(field + "[0]", "names no program");
        }
        return List.copyOf(command);
    }

    /**
     * Whether a compiled language may take its artefacts from the runner's compile cache (default
     * true). The cache reuses a compile only for byte-identical input (files, command, environment,
     * toolchain); turn it off for a run that must compile for real, for example to time the compiler.
     *
     * @param enabled false to always compile
     * @return a new request
     */
    public RunRequest withCompileCache(boolean enabled) {
        return with(fields -> fields.compileCache = enabled);
    }

    /** @return the language id or alias as given */
    public String language() {
        return language;
    }

    /** @return a copy of the main source's bytes */
    public byte[] source() {
        return source.clone();
    }

    /** @return the main file name the caller chose, if any */
    public Optional<String> mainFileName() {
        return Optional.ofNullable(mainFileName);
    }

    /** @return the extra files by relative path: a copy, changing it changes nothing here */
    public Map<String, byte[]> files() {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        files.forEach((path, content) -> copy.put(path, content.clone()));
        return copy;
    }

    /** @return the whole stdin given up front, if any */
    public Optional<byte[]> stdin() {
        return Optional.ofNullable(stdin).map(byte[]::clone);
    }

    /** @return whether stdin stays open for {@link Execution#writeStdin(byte[])} */
    public boolean interactiveStdin() {
        return interactiveStdin;
    }

    /** @return the command-line arguments */
    public List<String> args() {
        return args;
    }

    /** @return the environment variables the caller named */
    public Map<String, String> env() {
        return env;
    }

    /**
     * Resolves this request's limits against a runner's defaults.
     *
     * @param defaults the runner's default limits
     * @return the limits this run uses
     */
    public Limits limits(Limits defaults) {
        Limits resolved = limits.apply(defaults);
        if (resolved == null) {
            throw new InvalidRequestException("limits", "the limits adjustment returned null");
        }
        return resolved;
    }

    /** @return how many install-and-re-run rounds auto-install may make (0: only report) */
    public int autoInstallAttempts() {
        return autoInstallAttempts;
    }

    /** @return the named package cache, if any */
    public Optional<String> packageCache() {
        return Optional.ofNullable(packageCache);
    }

    /** @return whether network access is on */
    public boolean network() {
        return network;
    }

    /** @return the fairness group this run is queued in, if any */
    public Optional<String> fairnessKey() {
        return Optional.ofNullable(fairnessKey);
    }

    /** @return whether the program's stderr is the same stream as its stdout ({@link #withStderrToStdout()}) */
    public boolean stderrToStdout() {
        return stderrToStdout;
    }

    /** @return whether the program runs on a pseudo-terminal ({@link #withTerminal()}) */
    public boolean terminal() {
        return terminal;
    }

    /** @return the compile command that replaces the language's for this run, if any */
    public Optional<List<String>> compileCommand() {
        return Optional.ofNullable(compileCommand);
    }

    /** @return the run command that replaces the language's for this run, if any */
    public Optional<List<String>> runCommand() {
        return Optional.ofNullable(runCommand);
    }

    /** @return whether the compile cache may serve this run (see {@link #withCompileCache}) */
    public boolean compileCache() {
        return compileCache;
    }

    /** @return the language, the source's size and the names of files, arguments and variables (no content), for logs */
    @Override
    public String toString() {
        return "RunRequest{language=" + language + ", sourceBytes=" + source.length + ", files=" + files.keySet()
                + ", args=" + args + ", env=" + env.keySet() + ", network=" + network
                + (stderrToStdout ? ", stderrToStdout" : "")
                + (compileCommand != null ? ", compileCommand" : "")
                + (runCommand != null ? ", runCommand" : "") + "}";
    }

    /** Strict UTF-8 handling shared by requests. */
    static final class Utf8 {
        private Utf8() { }

        static byte[] encodeStrict(String field, String text) {
            try {
                java.nio.ByteBuffer buffer = StandardCharsets.UTF_8.newEncoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .encode(java.nio.CharBuffer.wrap(text));
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return bytes;
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new InvalidRequestException(field, "is not valid Unicode text (it holds an unpaired surrogate)");
            }
        }
    }
}
