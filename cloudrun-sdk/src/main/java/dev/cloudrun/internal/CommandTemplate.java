package dev.cloudrun.internal;

import dev.cloudrun.Limits;
import java.util.ArrayList;
import java.util.List;

/** Expands the placeholders of a language's commands. */
public final class CommandTemplate {
    private CommandTemplate() { }

    /**
     * Expands {@code {file}}, {@code {stem}}, {@code {memoryBytes}} and {@code {memoryMiB}}.
     *
     * @param template the command with placeholders
     * @param mainFile the main file's name
     * @param limits the step's limits
     * @return the command
     */
    public static List<String> expand(List<String> template, String mainFile, Limits limits) {
        int slash = mainFile.lastIndexOf('/');
        String baseName = mainFile.substring(slash + 1);
        int dot = baseName.lastIndexOf('.');
        String stem = dot <= 0 ? baseName : baseName.substring(0, dot);
        List<String> command = new ArrayList<>(template.size());
        for (String part : template) {
            command.add(part.replace("{file}", mainFile)
                    .replace("{stem}", stem)
                    .replace("{memoryBytes}", Long.toString(limits.memoryBytes()))
                    .replace("{memoryMiB}", Long.toString(limits.memoryBytes() / (1024 * 1024))));
        }
        return command;
    }
}
