package dev.cloudrun.examples.bench;

import dev.cloudrun.Language;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The bare host process: a language's compile and run commands, exactly as its descriptor gives
 * them, run on the host in a fresh temporary folder, with the programs of the system folders
 * ({@code /usr/bin/python3}, not a pyenv shim earlier on the PATH, which would time a slower
 * start-up than the image's). Also the plain pipe that the streaming part compares with.
 */
final class HostPrograms {
    private static final long MEMORY_BYTES = 256L * 1024 * 1024;
    private static final long TIMEOUT_SECONDS = 120;

    private HostPrograms() { }

    /**
     * Compiles (if the language is compiled) and runs a program.
     *
     * @param language the language
     * @param source the program
     * @return the nanoseconds from the first command's start to the last one's end
     * @throws IllegalStateException if a command fails or does not finish in time
     */
    static long compileAndRun(Language language, String source) {
        Path folder = null;
        try {
            folder = Files.createTempDirectory("cloudrun-bench");
            String mainFile = language.mainFileFor(source);
            Files.writeString(folder.resolve(mainFile), source);
            long start = System.nanoTime();
            if (language.isCompiled()) {
                waitFor(start(folder, expand(language.compileCommand(), mainFile), true));
            }
            waitFor(start(folder, expand(language.runCommand(), mainFile), true));
            return System.nanoTime() - start;
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } finally {
            if (folder != null) {
                delete(folder);
            }
        }
    }

    /**
     * Runs a program through a plain pipe, read here in 64 KiB reads, as the streaming part's base line.
     *
     * @param command the program (its first word is looked up in the system folders)
     * @param expectedBytes how many bytes it must write
     * @return the nanoseconds from start to end
     * @throws IllegalStateException if it fails or writes another amount
     */
    static long pipe(List<String> command, long expectedBytes) {
        try {
            long start = System.nanoTime();
            Process process = start(Path.of(System.getProperty("java.io.tmpdir")), command, false);
            long total = 0;
            byte[] buffer = new byte[64 * 1024];
            try (InputStream out = process.getInputStream()) {
                for (int read; (read = out.read(buffer)) >= 0; ) {
                    total += read;
                }
            }
            waitFor(process);
            long elapsed = System.nanoTime() - start;
            if (total != expectedBytes) {
                throw new IllegalStateException("the pipe carried " + total + " bytes, not " + expectedBytes);
            }
            return elapsed;
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * The program of a command as the sandbox finds it, in the system folders.
     *
     * @param command a command
     * @return the command with its first word resolved in {@code /usr/bin} or {@code /bin}, when found there
     */
    static List<String> fromSystemFolders(List<String> command) {
        String program = command.get(0);
        if (program.contains("/")) {
            return command;
        }
        for (String folder : List.of("/usr/bin", "/bin")) {
            Path candidate = Path.of(folder, program);
            if (Files.isExecutable(candidate)) {
                List<String> resolved = new ArrayList<>(command);
                resolved.set(0, candidate.toString());
                return resolved;
            }
        }
        return command;
    }

    /**
     * A descriptor command with its placeholders filled in, as the sandboxes fill them.
     *
     * @param template the descriptor's command
     * @param mainFile the main file's name
     * @return the command
     */
    static List<String> expand(List<String> template, String mainFile) {
        String stem = mainFile.contains(".") ? mainFile.substring(0, mainFile.lastIndexOf('.')) : mainFile;
        List<String> command = new ArrayList<>();
        for (String part : template) {
            command.add(part.replace("{file}", mainFile).replace("{stem}", stem)
                    .replace("{memoryBytes}", Long.toString(MEMORY_BYTES))
                    .replace("{memoryMiB}", Long.toString(MEMORY_BYTES / (1024 * 1024))));
        }
        return command;
    }

    private static Process start(Path folder, List<String> template, boolean discardOutput) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(fromSystemFolders(template)).directory(folder.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        if (discardOutput) {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        return builder.start();
    }

    private static void waitFor(Process process) {
        String command = process.info().commandLine().orElse("the program");
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(command + " exited with " + process.exitValue());
        }
    }

    private static void delete(Path folder) {
        try (var paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // A temporary folder; the system cleans it eventually.
        }
    }
}
