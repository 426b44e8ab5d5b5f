package dev.cloudrun.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cloudrun.BackendKind;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Execution;
import dev.cloudrun.InvalidRequestException;
import dev.cloudrun.Language;
import dev.cloudrun.RunListener;
import dev.cloudrun.RunRequest;
import dev.cloudrun.RunResult;
import dev.cloudrun.StreamKind;
import dev.cloudrun.docker.DockerBackendOptions;
import dev.cloudrun.docker.DockerSandboxBackend;
import dev.cloudrun.server.CloudRunServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Java side of the {@code ./cloudrun} launcher: {@code run}, {@code grade}, {@code shell},
 * {@code languages} and {@code serve}. ({@code images} and {@code test} are shell scripts the launcher calls directly;
 * {@code bench} runs {@code dev.cloudrun.examples.bench.CloudRunBenchmark}.)
 */
public final class CloudRunCli {
    /** Exit code for bad usage or an invalid request (nothing ran). */
    static final int EXIT_USAGE = 2;
    /** Exit code when no sandbox can run here. */
    static final int EXIT_UNAVAILABLE = 3;

    private static final String USAGE = String.join("\n",
            "usage: cloudrun run FILE [--lang ID] [--stdin FILE] [--backend auto|local|docker] [--runtime NAME]",
            "                         [--auto-install] [--json] [-- ARGS...]",
            "         (--runtime: a Docker runtime such as runsc, gVisor; see scripts/enable-gvisor.sh)",
            "       " + GradeCommand.USAGE,
            "       " + ShellCommand.USAGE,
            "         (a sandboxed shell in a copy of DIR, default: this folder; --write-back copies changes back on exit)",
            "       " + McpCommand.USAGE,
            "         (an MCP server on stdin/stdout for AI agents; see docs/agents.md)",
            "       cloudrun languages",
            "       cloudrun images build",
            "       cloudrun serve [--port N]",
            "       cloudrun bench [--backend local|docker|all] [--languages a,b] [--runs N] [--concurrency C] [--json]",
            "       cloudrun test");

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    CloudRunCli(PrintStream out, PrintStream err, InputStream in) {
        this.out = out;
        this.err = err;
        this.in = in;
    }

    /**
     * Runs a command and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        int code = new CloudRunCli(System.out, System.err, System.in).execute(args);
        System.out.flush();
        System.exit(code);
    }

    int execute(String[] args) {
        if (args.length == 0) {
            err.println(USAGE);
            return EXIT_USAGE;
        }
        try {
            switch (args[0]) {
                case "run":
                    return run(List.of(args).subList(1, args.length));
                case "grade":
                    return new GradeCommand(out, err).run(List.of(args).subList(1, args.length));
                case "shell":
                    return new ShellCommand(out, err, in, in == System.in).run(List.of(args).subList(1, args.length));
                case "languages":
                    return languages();
                case "mcp":
                    return new McpCommand(err, in).run(List.of(args).subList(1, args.length));
                case "serve":
                    CloudRunServer.main(java.util.Arrays.copyOfRange(args, 1, args.length));
                    return 0;
                case "help":
                case "--help":
                case "-h":
                    out.println(USAGE);
                    return 0;
                default:
                    err.println("cloudrun: unknown command '" + args[0] + "'\n" + USAGE);
                    return EXIT_USAGE;
            }
        } catch (UsageException e) {
            err.println("cloudrun: " + e.getMessage() + "\n" + USAGE);
            return EXIT_USAGE;
        } catch (InvalidRequestException e) {
            err.println("cloudrun: invalid " + e.getMessage());
            return EXIT_USAGE;
        } catch (dev.cloudrun.BackendUnavailableException e) {
            err.println("cloudrun: " + e.getMessage());
            return EXIT_UNAVAILABLE;
        } catch (CloudRunException e) {
            err.println("cloudrun: " + e.getMessage());
            return 70;
        } catch (IOException e) {
            err.println("cloudrun: " + e.getMessage());
            return 74;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    private int languages() {
        for (Language language : dev.cloudrun.LanguageRegistry.loadDefault().all()) {
            out.printf(Locale.ROOT, "%-12s %-24s %s%s%n", language.id(), language.displayName(),
                    String.join(", ", language.aliases()), language.previewOnly() ? " (preview only)" : "");
        }
        return 0;
    }

    private int run(List<String> args) {
        RunOptions options = RunOptions.parse(args);
        byte[] source;
        try {
            source = Files.readAllBytes(options.file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UsageException("no such file: " + options.file);
        } catch (IOException e) {
            throw new UsageException("cannot read " + options.file + ": " + e.getMessage());
        }
        byte[] stdin = null;
        if (options.stdinFile != null) {
            try {
                stdin = Files.readAllBytes(options.stdinFile);
            } catch (IOException e) {
                throw new UsageException("cannot read --stdin " + options.stdinFile + ": " + e.getMessage());
            }
        }
        try (CodeRunner runner = CodeRunner.create(config -> {
            if (options.runtime != null) {
                config.backend(DockerSandboxBackend.create(new DockerBackendOptions().runtime(options.runtime)));
            } else {
                config.backend(options.backend);
            }
        })) {
            Language language = options.language != null ? runner.languages().require(options.language)
                    : runner.languages().forFileName(options.file.getFileName().toString()).orElseThrow(() ->
                            new InvalidRequestException("language", "cannot tell the language of "
                                    + options.file.getFileName() + " from its extension; pass --lang ID"));
            RunRequest request = RunRequest.of(language.id(), source).withArgs(options.programArgs);
            String baseName = options.file.getFileName().toString();
            if (!language.derivesFileNameFromSource() && language.extensions().stream().anyMatch(baseName::endsWith)) {
                request = request.withMainFileName(baseName);
            }
            request = stdin != null ? request.withStdin(stdin) : request.withInteractiveStdin();
            if (options.autoInstall) {
                // One package cache per folder: a folder is the command line's idea of a project.
                Path folder = options.file.toAbsolutePath().normalize().getParent();
                request = request.withAutoInstall().withPackageCache("cli-" + Integer.toHexString(folder.toString().hashCode()));
            }
            java.util.concurrent.atomic.AtomicBoolean midLine = new java.util.concurrent.atomic.AtomicBoolean();
            RunResult result = stream(runner, request, stdin == null, midLine);
            if (options.json) {
                // The JSON is always a line of its own, so that a script can parse the last line.
                if (midLine.get()) {
                    out.println();
                }
                out.println(toJson(result));
            } else if (!result.isOk()) {
                err.println("[cloudrun] " + result.status() + ": " + result.message());
            }
            return exitCode(result);
        }
    }

    /**
     * Runs the request, passing its output through as it comes.
     *
     * @param midLine set to whether the program's stdout so far ends without a newline
     */
    private RunResult stream(CodeRunner runner, RunRequest request, boolean passStdin,
                             java.util.concurrent.atomic.AtomicBoolean midLine) {
        RunListener listener = new RunListener() {
            @Override
            public void onOutput(StreamKind stream, byte[] chunk) {
                if (stream == StreamKind.STDOUT && chunk.length > 0) {
                    midLine.set(chunk[chunk.length - 1] != '\n');
                }
                PrintStream target = stream == StreamKind.STDOUT ? out : err;
                target.write(chunk, 0, chunk.length);
                target.flush();
            }

            @Override
            public void onMissingPackages(List<String> packages) {
                err.println("[cloudrun] missing packages: " + String.join(", ", packages)
                        + (request.autoInstallAttempts() > 0 ? "" : " (run with --auto-install to install them)"));
            }

            @Override
            public void onInstallStarted(List<String> packages) {
                err.println("[cloudrun] installing " + String.join(", ", packages) + " ...");
            }

            @Override
            public void onInstallFinished(List<String> packages, boolean success, String message) {
                err.println("[cloudrun] " + message);
            }
        };
        try (Execution execution = runner.start(request, listener)) {
            if (passStdin) {
                Thread pump = new Thread(() -> pumpStdin(execution), "cloudrun-cli-stdin");
                pump.setDaemon(true);
                pump.start();
            }
            return execution.await();
        }
    }

    private void pumpStdin(Execution execution) {
        byte[] buffer = new byte[8192];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (read > 0) {
                    execution.writeStdin(java.util.Arrays.copyOf(buffer, read));
                }
            }
            execution.closeStdin();
        } catch (IOException | IllegalStateException e) {
            // The run ended, or our own stdin failed: either way nothing more to pass on.
        }
    }

    /** The launcher's exit code: the program's own, or a conventional one when it never exited by itself. */
    static int exitCode(RunResult result) {
        switch (result.status()) {
            case OK:
                return 0;
            case RUNTIME_ERROR:
                return result.exitCode() >= 0 ? result.exitCode() : 1;
            case COMPILE_ERROR:
                return 1;
            case TIME_LIMIT:
                return 124;
            case MEMORY_LIMIT:
                return 137;
            case OUTPUT_LIMIT:
                return 141;
            case CANCELLED:
                return 130;
            default:
                return 70;
        }
    }

    static String toJson(RunResult result) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode node = json.createObjectNode();
        node.put("status", result.status().name());
        node.put("exitCode", result.exitCode());
        if (result.signal().isPresent()) {
            node.put("signal", result.signal().get());
        } else {
            node.putNull("signal");
        }
        node.put("wallTimeMs", result.wallTime().toMillis());
        node.put("cpuTimeMs", result.cpuTime().toMillis());
        node.put("memoryBytes", result.memoryBytes());
        node.put("language", result.language());
        node.put("message", result.message());
        node.put("stdoutTruncated", result.stdoutTruncated());
        node.put("stderrTruncated", result.stderrTruncated());
        node.put("compilerOutput", result.compilerOutput());
        result.installedPackages().forEach(node.putArray("installedPackages")::add);
        result.missingPackages().forEach(node.putArray("missingPackages")::add);
        return node.toString();
    }

    /** Bad command-line usage. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The options of {@code cloudrun run}. */
    static final class RunOptions {
        Path file;
        String language;
        Path stdinFile;
        BackendKind backend = BackendKind.AUTO;
        /** The Docker runtime ({@code --runtime}), or null for the daemon's default. */
        String runtime;
        boolean json;
        boolean autoInstall;
        final List<String> programArgs = new ArrayList<>();

        static RunOptions parse(List<String> args) {
            RunOptions options = new RunOptions();
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--lang":
                        options.language = Arguments.value(args, ++i, arg);
                        break;
                    case "--stdin":
                        options.stdinFile = Path.of(Arguments.value(args, ++i, arg));
                        break;
                    case "--backend":
                        options.backend = Arguments.backend(Arguments.value(args, ++i, arg));
                        break;
                    case "--runtime":
                        options.runtime = Arguments.value(args, ++i, arg);
                        break;
                    case "--json":
                        options.json = true;
                        break;
                    case "--auto-install":
                        options.autoInstall = true;
                        break;
                    case "--":
                        options.programArgs.addAll(args.subList(i + 1, args.size()));
                        i = args.size();
                        break;
                    default:
                        if (arg.startsWith("--")) {
                            throw new UsageException("unknown option " + arg);
                        }
                        if (options.file != null) {
                            throw new UsageException("only one FILE can be run; pass program arguments after --");
                        }
                        options.file = Path.of(arg);
                }
            }
            if (options.file == null) {
                throw new UsageException("run needs a FILE");
            }
            if (options.runtime != null && options.backend == BackendKind.LOCAL) {
                throw new UsageException("--runtime is a Docker runtime; it needs --backend docker (or auto)");
            }
            return options;
        }

    }
}
