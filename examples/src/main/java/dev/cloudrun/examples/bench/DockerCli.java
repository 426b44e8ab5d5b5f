package dev.cloudrun.examples.bench;

import dev.cloudrun.Language;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The {@code docker} command line, as a user without CloudRun would run a program:
 * {@code docker run --rm -i --network none IMAGE sh -c '...'}, with the source on standard input
 * (written to a fresh temporary folder in the container, compiled if need be, then run). Also
 * starts and removes the idle containers whose memory the benchmark reports.
 */
final class DockerCli {
    private static final long TIMEOUT_SECONDS = 120;
    /** Marks what the benchmark starts, so that a leftover can be told apart. */
    static final String LABEL = "dev.cloudrun.bench=1";

    private final String version;

    private DockerCli(String version) {
        this.version = version;
    }

    /**
     * Asks the daemon for its version.
     *
     * @return the CLI, or empty when there is no {@code docker} command or no daemon that answers
     */
    static Optional<DockerCli> find() {
        try {
            Result result = exec(List.of("docker", "version", "--format", "{{.Server.Version}}"), null, 15);
            return result.exitCode == 0 && !result.stdout.isBlank() ? Optional.of(new DockerCli(result.stdout.strip()))
                    : Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** @return the daemon's version */
    String version() {
        return version;
    }

    /**
     * Compiles (if need be) and runs a program in a fresh container of the language's image.
     *
     * @param language the language
     * @param source the program
     * @return the nanoseconds {@code docker run} took, start to end
     * @throws IllegalStateException if the run fails
     */
    long run(Language language, String source) {
        String image = language.image().orElseThrow(() -> new IllegalStateException(language.id() + " has no image"));
        String mainFile = language.mainFileFor(source);
        StringBuilder script = new StringBuilder("cd \"$(mktemp -d)\" && cat > ").append(quote(mainFile));
        if (language.isCompiled()) {
            script.append(" && ").append(quoted(HostPrograms.expand(language.compileCommand(), mainFile)));
        }
        script.append(" && exec ").append(quoted(HostPrograms.expand(language.runCommand(), mainFile)));
        List<String> command = List.of("docker", "run", "--rm", "-i", "--network", "none", "--label", LABEL,
                image, "sh", "-c", script.toString());
        long start = System.nanoTime();
        Result result = exec(command, source.getBytes(StandardCharsets.UTF_8), TIMEOUT_SECONDS);
        long elapsed = System.nanoTime() - start;
        if (result.exitCode != 0) {
            throw new IllegalStateException("docker run exited with " + result.exitCode + ": " + result.stderr.strip());
        }
        return elapsed;
    }

    private static String quoted(List<String> command) {
        List<String> parts = new ArrayList<>();
        for (String part : command) {
            parts.add(quote(part));
        }
        return String.join(" ", parts);
    }

    private static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private record Result(int exitCode, String stdout, String stderr) { }

    private static Result exec(List<String> command, byte[] stdin, long timeoutSeconds) {
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            // Both are small here (an id, a version, an error); read stderr on the side.
            var stderr = new java.util.concurrent.CompletableFuture<String>();
            Thread reader = new Thread(() -> stderr.complete(readAll(process.getErrorStream())), "docker-cli-stderr");
            reader.setDaemon(true);
            reader.start();
            String stdout = readAll(process.getInputStream());
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command.subList(0, 2)) + " did not finish within "
                        + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(), stdout, stderr.get(10, TimeUnit.SECONDS));
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String readAll(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
