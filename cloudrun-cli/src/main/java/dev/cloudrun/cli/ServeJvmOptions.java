package dev.cloudrun.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM options {@code ./cloudrun serve} starts the server with, declared once in the resource
 * {@value #RESOURCE}, and those of {@code ./cloudrun mcp}, in {@value #MCP_RESOURCE} (the launcher
 * reads the same files from the source tree). The benchmarks start their server or {@code cloudrun mcp}
 * with them too, so that they measure it as it is deployed.
 *
 * <p>The file holds one option per line; blank lines and lines starting with {@code #} are ignored.
 */
public final class ServeJvmOptions {
    /** Where the options are, on the class path and under {@code cloudrun-cli/src/main/resources}. */
    public static final String RESOURCE = "dev/cloudrun/cli/serve.jvm-options";
    /** The options of {@code ./cloudrun mcp}, on the class path and under {@code cloudrun-cli/src/main/resources}. */
    public static final String MCP_RESOURCE = "dev/cloudrun/cli/mcp.jvm-options";

    private ServeJvmOptions() { }

    /**
     * The options of the file, as written: unlike the launcher, this neither leaves out an option the
     * JVM does not know nor adds {@code JAVA_OPTS} and {@code CLOUDRUN_JAVA_OPTS}.
     *
     * @return the options, in order
     * @throws IllegalStateException if the resource is missing
     */
    public static List<String> defaults() {
        return read(RESOURCE);
    }

    /**
     * The options of {@code ./cloudrun mcp}'s file, as {@link #defaults()} reads the server's.
     *
     * @return the options, in order
     * @throws IllegalStateException if the resource is missing
     */
    public static List<String> mcpDefaults() {
        return read(MCP_RESOURCE);
    }

    private static List<String> read(String resource) {
        try (InputStream in = ServeJvmOptions.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /**
     * Reads options in the file's format.
     *
     * @param text the file's content
     * @return the options, in order
     * @throws IllegalArgumentException if a line holds something other than one option
     */
    public static List<String> parse(String text) {
        List<String> options = new java.util.ArrayList<>();
        int number = 0;
        for (String line : text.split("\n", -1)) {
            number++;
            String option = line.strip();
            if (option.isEmpty() || option.startsWith("#")) {
                continue;
            }
            if (!option.startsWith("-") || option.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException(RESOURCE + " line " + number + ": expected one option starting with '-', got '"
                        + option + "'");
            }
            options.add(option);
        }
        return List.copyOf(options);
    }
}
