package dev.cloudrun;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Describes how to compile and run one programming language. Languages are data: the built-in ones
 * come from {@code dev/cloudrun/languages.json} in the SDK, and applications add or override them
 * with their own {@code META-INF/cloudrun/languages.json} or with {@link #builder(String)}.
 *
 * <p>Commands are argument lists (no shell) and may use these placeholders:
 * {@code {file}} the main file name, {@code {stem}} the main file name without its extension (for
 * Java, the class name), {@code {memoryBytes}} and {@code {memoryMiB}} the run's memory limit.
 * The program's arguments are appended to the run command.
 *
 * <p>A compiled language names its {@link #artifacts()}: the files the compile step produces
 * (globs such as {@code main} or {@code **.class}), which are all the run command needs. The
 * {@link Grader} compiles a submission once and runs every test case on a copy of them.
 *
 * <p>Descriptor keys the SDK does not use itself (the browser IDE's {@code monacoLanguage} and
 * {@code template}, say) are kept as {@link #attributes()}, for applications to read.
 */
public final class Language {
    private final String id;
    private final List<String> aliases;
    private final String displayName;
    private final String sourceFile;
    private final Pattern sourceFilePattern;
    private final List<String> extensions;
    private final List<String> compileCommand;
    private final List<String> runCommand;
    private final List<String> artifacts;
    private final String image;
    private final List<String> versionCommand;
    private final List<Pattern> missingDependencyPatterns;
    private final List<Pattern> memoryErrorPatterns;
    private final List<Pattern> syntaxErrorPatterns;
    private final boolean previewOnly;
    private final PackageManager packageManager;
    private final Map<String, String> attributes;

    private Language(Builder builder) {
        this.id = builder.id;
        this.aliases = List.copyOf(builder.aliases);
        this.displayName = builder.displayName == null ? builder.id : builder.displayName;
        this.sourceFile = Objects.requireNonNull(builder.sourceFile, "sourceFile of language " + builder.id);
        this.sourceFilePattern = builder.sourceFilePattern;
        this.extensions = List.copyOf(builder.extensions);
        this.compileCommand = List.copyOf(builder.compileCommand);
        this.runCommand = List.copyOf(builder.runCommand);
        this.artifacts = List.copyOf(builder.artifacts);
        this.image = builder.image;
        this.versionCommand = List.copyOf(builder.versionCommand);
        this.missingDependencyPatterns = List.copyOf(builder.missingDependencyPatterns);
        this.memoryErrorPatterns = List.copyOf(builder.memoryErrorPatterns);
        this.syntaxErrorPatterns = List.copyOf(builder.syntaxErrorPatterns);
        this.previewOnly = builder.previewOnly;
        this.packageManager = builder.packageManager;
        this.attributes = Collections.unmodifiableMap(new LinkedHashMap<>(builder.attributes));
        if (!previewOnly && runCommand.isEmpty()) {
            throw new IllegalArgumentException("language " + id + " has no run command and is not preview-only");
        }
    }

    /**
     * Starts describing a language.
     *
     * @param id the canonical id, lower case (for example {@code python})
     * @return a builder
     */
    public static Builder builder(String id) {
        return new Builder(id);
    }

    /** @return the canonical id, for example {@code cpp} */
    public String id() {
        return id;
    }

    /** @return other names that select this language, for example {@code c++} and {@code g++} */
    public List<String> aliases() {
        return aliases;
    }

    /** @return the name to show people, for example "C++ (g++)" */
    public String displayName() {
        return displayName;
    }

    /** @return the default main file name, for example {@code main.py} */
    public String sourceFile() {
        return sourceFile;
    }

    /**
     * @return whether the main file's name comes from the source itself (Java's public class), so
     *     callers should not rename it
     */
    public boolean derivesFileNameFromSource() {
        return sourceFilePattern != null;
    }

    /** @return the file name extensions that belong to this language, for example {@code .py} */
    public List<String> extensions() {
        return extensions;
    }

    /** @return the compile command, empty for interpreted languages */
    public List<String> compileCommand() {
        return compileCommand;
    }

    /** @return whether the language has a compile step */
    public boolean isCompiled() {
        return !compileCommand.isEmpty();
    }

    /** @return the run command, before the program's arguments */
    public List<String> runCommand() {
        return runCommand;
    }

    /**
     * The files the compile step produces that the run command needs, as globs relative to the
     * workspace ({@code main} for C, {@code **.class} for Java; {@code *} stays within a folder,
     * {@code **} crosses folders). Empty for interpreted languages, and for compiled languages
     * whose descriptor does not say (those are compiled again for every run).
     *
     * @return the artefact globs
     */
    public List<String> artifacts() {
        return artifacts;
    }

    /** @return the container image the Docker backend runs this language in */
    public Optional<String> image() {
        return Optional.ofNullable(image);
    }

    /** @return a command that prints the toolchain's version */
    public List<String> versionCommand() {
        return versionCommand;
    }

    /** @return patterns whose first group names a missing module in the program's error output */
    public List<Pattern> missingDependencyPatterns() {
        return missingDependencyPatterns;
    }

    /** @return patterns in the program's error output that mean it ran out of memory */
    public List<Pattern> memoryErrorPatterns() {
        return memoryErrorPatterns;
    }

    /**
     * @return patterns in an interpreted program's error output that mean its own source did not
     *     parse (nothing of it ran): such a run ends {@code COMPILE_ERROR}, as a compiler's refusal does
     */
    public List<Pattern> syntaxErrorPatterns() {
        return syntaxErrorPatterns;
    }

    /** @return whether the language is only previewed (HTML) and never executed */
    public boolean previewOnly() {
        return previewOnly;
    }

    /** @return how this language installs packages, if it can */
    public Optional<PackageManager> packageManager() {
        return Optional.ofNullable(packageManager);
    }

    /**
     * @return the descriptor's extra keys, which the SDK does not use (for example the IDE's
     *     {@code monacoLanguage} and {@code template}), in descriptor order; unmodifiable
     */
    public Map<String, String> attributes() {
        return attributes;
    }

    /**
     * @param name a descriptor key the SDK does not use, for example {@code monacoLanguage}
     * @return its value, if the descriptor has it
     */
    public Optional<String> attribute(String name) {
        return Optional.ofNullable(attributes.get(name));
    }

    /**
     * Chooses the main file name for a source: the pattern's first group plus the default file's
     * extension when the pattern matches (Java's {@code public class Foo} gives {@code Foo.java}),
     * otherwise {@link #sourceFile()}.
     *
     * @param source the program's text
     * @return the main file name
     */
    public String mainFileFor(String source) {
        if (sourceFilePattern != null) {
            Matcher matcher = sourceFilePattern.matcher(source);
            if (matcher.find() && matcher.groupCount() >= 1 && matcher.group(1) != null) {
                return matcher.group(1) + extensionOf(sourceFile);
            }
        }
        return sourceFile;
    }

    private static String extensionOf(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot < 0 ? "" : fileName.substring(dot);
    }

    /**
     * @param name an id or alias, any case
     * @return whether this language answers to that name
     */
    public boolean answersTo(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return id.equals(lower) || aliases.contains(lower);
    }

    @Override
    public String toString() {
        return "Language{" + id + "}";
    }

    /** Builds a {@link Language}. */
    public static final class Builder {
        private final String id;
        private List<String> aliases = List.of();
        private String displayName;
        private String sourceFile;
        private Pattern sourceFilePattern;
        private List<String> extensions = List.of();
        private List<String> compileCommand = List.of();
        private List<String> runCommand = List.of();
        private List<String> artifacts = List.of();
        private String image;
        private List<String> versionCommand = List.of();
        private List<Pattern> missingDependencyPatterns = List.of();
        private List<Pattern> memoryErrorPatterns = List.of();
        private List<Pattern> syntaxErrorPatterns = List.of();
        private boolean previewOnly;
        private PackageManager packageManager;
        private final Map<String, String> attributes = new LinkedHashMap<>();

        private Builder(String id) {
            if (id == null || !id.matches("[a-z0-9][a-z0-9+#._-]*")) {
                throw new IllegalArgumentException("language id must be lower-case letters, digits or +#._-: " + id);
            }
            this.id = id;
        }

        /** @param value other names, lower case @return this builder */
        public Builder aliases(List<String> value) {
            this.aliases = value.stream().map(a -> a.toLowerCase(java.util.Locale.ROOT)).toList();
            return this;
        }

        /** @param value the name to show @return this builder */
        public Builder displayName(String value) {
            this.displayName = value;
            return this;
        }

        /** @param value default main file name @return this builder */
        public Builder sourceFile(String value) {
            this.sourceFile = value;
            return this;
        }

        /** @param regex pattern whose group 1 gives the main file's stem (may be null) @return this builder */
        public Builder sourceFilePattern(String regex) {
            this.sourceFilePattern = regex == null ? null : Pattern.compile(regex, Pattern.MULTILINE);
            return this;
        }

        /** @param value file extensions with the dot @return this builder */
        public Builder extensions(List<String> value) {
            this.extensions = value;
            return this;
        }

        /** @param value compile command (empty for none) @return this builder */
        public Builder compileCommand(List<String> value) {
            this.compileCommand = value;
            return this;
        }

        /** @param value run command @return this builder */
        public Builder runCommand(List<String> value) {
            this.runCommand = value;
            return this;
        }

        /**
         * Names what the compile step produces (see {@link Language#artifacts()}).
         *
         * @param globs relative globs of letters, digits, {@code ._-/$*}; no {@code ..}
         * @return this builder
         */
        public Builder artifacts(List<String> globs) {
            for (String glob : globs) {
                if (glob == null || !glob.matches("[A-Za-z0-9._$*/-]{1,200}") || glob.startsWith("/") || glob.contains("..")) {
                    throw new IllegalArgumentException("artifact glob must be relative, without .., of letters, digits and ._-/$*: " + glob);
                }
            }
            this.artifacts = List.copyOf(globs);
            return this;
        }

        /** @param value container image for the Docker backend @return this builder */
        public Builder image(String value) {
            this.image = value;
            return this;
        }

        /** @param value command that prints the version @return this builder */
        public Builder versionCommand(List<String> value) {
            this.versionCommand = value;
            return this;
        }

        /** @param regexes patterns whose group 1 names a missing module @return this builder */
        public Builder missingDependencyPatterns(List<String> regexes) {
            this.missingDependencyPatterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.MULTILINE)).toList();
            return this;
        }

        /** @param regexes patterns of the error output that mean the program's source did not parse @return this builder */
        public Builder syntaxErrorPatterns(List<String> regexes) {
            this.syntaxErrorPatterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.MULTILINE)).toList();
            return this;
        }

        /** @param regexes patterns that mean out of memory @return this builder */
        public Builder memoryErrorPatterns(List<String> regexes) {
            this.memoryErrorPatterns = regexes.stream().map(r -> Pattern.compile(r, Pattern.MULTILINE)).toList();
            return this;
        }

        /** @param value whether the language is preview-only @return this builder */
        public Builder previewOnly(boolean value) {
            this.previewOnly = value;
            return this;
        }

        /**
         * Sets an attribute: a key the SDK does not use, kept for applications (see {@link Language#attributes()}).
         *
         * @param name the key, for example {@code monacoLanguage}
         * @param value its value; null removes it
         * @return this builder
         */
        public Builder attribute(String name, String value) {
            Objects.requireNonNull(name, "attribute name");
            if (value == null) {
                attributes.remove(name);
            } else {
                attributes.put(name, value);
            }
            return this;
        }

        /** @param value how the language installs packages (may be null) @return this builder */
        public Builder packageManager(PackageManager value) {
            this.packageManager = value;
            return this;
        }

        /** @return the language */
        public Language build() {
            return new Language(this);
        }
    }
}
