package dev.cloudrun.cli;

import dev.cloudrun.BackendKind;
import dev.cloudrun.BackendUnavailableException;
import dev.cloudrun.CloudRunException;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.Terminal;
import dev.cloudrun.TerminalListener;
import dev.cloudrun.Workspace;
import dev.cloudrun.WorkspaceSpec;
import dev.cloudrun.cli.CloudRunCli.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code cloudrun shell [DIR]}: a sandboxed login shell on this terminal, in a workspace holding a
 * copy of DIR's files. Keystrokes go to the workspace's pseudo-terminal as typed (this terminal in
 * raw mode), its output comes back as written, the window's size follows this one's, and the
 * command exits with the shell's status. Only with {@code --write-back} do the workspace's files go
 * back into DIR. With standard input a pipe it still works, without raw mode or resizes, so that
 * scripts can pipe commands in; the end of the input is Ctrl+D to the shell.
 */
final class ShellCommand {
    static final String USAGE = "cloudrun shell [DIR] [--backend auto|local|docker] [--language ID] [--network] [--write-back]";

    private static final String HELP = String.join("\n",
            "Opens a login shell in a sandboxed workspace holding a copy of DIR's files (default: this folder).",
            "  --backend B     local (bubblewrap), docker, or auto (the default: Docker if it runs, else local)",
            "  --language ID   the toolchain the workspace holds (default: python; see cloudrun languages)",
            "  --network       let programs reach the network, behind the same fence as runs (default: off)",
            "  --write-back    on exit, copy new and changed files back into DIR and delete those deleted",
            "Symbolic links in DIR are skipped, never followed. Exits with the shell's status.",
            "With standard input a pipe, the commands piped in are typed into the shell; their end is Ctrl+D.");

    private static final byte CONTROL_D = 4;
    /** How long piped commands wait for the shell to write something (its prompt) before being typed anyway. */
    private static final Duration PROMPT_WAIT = Duration.ofSeconds(10);

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final boolean mayUseTerminal;

    /**
     * @param out where the shell's output goes
     * @param err where notes and errors go
     * @param in the keystrokes
     * @param mayUseTerminal whether {@code in} is this process's standard input, so that a terminal on it may be driven
     */
    ShellCommand(PrintStream out, PrintStream err, InputStream in, boolean mayUseTerminal) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.mayUseTerminal = mayUseTerminal;
    }

    int run(List<String> args) throws IOException, InterruptedException {
        if (args.contains("--help") || args.contains("-h")) {
            out.println("usage: " + USAGE);
            out.println(HELP);
            return 0;
        }
        Options options = Options.parse(args);
        ShellFolder folder = new ShellFolder(options.dir, err);
        Map<String, byte[]> files = folder.read(WorkspaceSpec.DEFAULT_DISK_BYTES);
        Optional<HostTerminal> host = mayUseTerminal ? HostTerminal.onStandardInput() : Optional.empty();
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(options.backend))) {
            // Killed (SIGTERM, SIGHUP): the workspace goes with us, every process in it included.
            Thread closeOnKill = new Thread(runner::close, "cloudrun-shell-close");
            Runtime.getRuntime().addShutdownHook(closeOnKill);
            try (Workspace workspace = open(runner, options, files)) {
                int status = session(workspace, host);
                if (options.writeBack) {
                    int changed = folder.writeBack(workspace);
                    err.println("cloudrun: wrote back " + changed + " changed file(s) into " + options.dir);
                }
                return status;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(closeOnKill);
                } catch (IllegalStateException e) {
                    // Shutting down already: the hook does the closing.
                }
            }
        } finally {
            host.ifPresent(HostTerminal::close);
        }
    }

    private static Workspace open(CodeRunner runner, Options options, Map<String, byte[]> files) {
        try {
            return runner.openWorkspace(WorkspaceSpec.of(options.language).withFiles(files).withNetwork(options.network));
        } catch (BackendUnavailableException e) {
            if (options.backend != BackendKind.AUTO) {
                throw e;
            }
            throw new BackendUnavailableException(e.getMessage() + " (--backend auto chose it; try --backend local)", e);
        }
    }

    private int session(Workspace workspace, Optional<HostTerminal> host) throws IOException, InterruptedException {
        int[] size = host.map(HostTerminal::size).orElse(new int[] {80, 24});
        CountDownLatch firstOutput = new CountDownLatch(1);
        Terminal terminal = workspace.openTerminal(size[0], size[1], new TerminalListener() {
            @Override
            public void output(byte[] data) {
                out.write(data, 0, data.length);
                out.flush();
                firstOutput.countDown();
            }
        });
        try (terminal) {
            if (host.isPresent()) {
                host.get().enterRawMode();
            }
            boolean signalled = host.isPresent()
                    && HostTerminal.onWindowChange(() -> resize(terminal, host.get().size()));
            Thread pump = new Thread(() -> {
                if (host.isEmpty()) {
                    // Piped commands typed before the shell's line editor is up would be echoed twice
                    // (once by the terminal driver, once by the editor): wait for the shell's first words.
                    awaitQuietly(firstOutput);
                }
                pumpKeystrokes(terminal, host.isEmpty());
            }, "cloudrun-shell-stdin");
            pump.setDaemon(true);
            pump.start();
            OptionalInt status;
            while ((status = terminal.await(Duration.ofSeconds(1))).isEmpty()) {
                if (host.isPresent() && !signalled) {
                    int[] now = host.get().size();
                    if (!Arrays.equals(now, size)) {
                        size = now;
                        resize(terminal, now);
                    }
                }
            }
            return status.getAsInt();
        } finally {
            host.ifPresent(HostTerminal::close);
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(PROMPT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void resize(Terminal terminal, int[] size) {
        try {
            terminal.resize(size[0], size[1]);
        } catch (CloudRunException e) {
            // The shell ended meanwhile.
        }
    }

    private void pumpKeystrokes(Terminal terminal, boolean endWithControlD) {
        byte[] buffer = new byte[8192];
        try {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (read > 0) {
                    terminal.write(Arrays.copyOf(buffer, read));
                }
            }
            if (endWithControlD) {
                terminal.write(new byte[] {CONTROL_D});
            }
        } catch (IOException | CloudRunException e) {
            // The shell ended, or our own input failed: either way nothing more to pass on.
        }
    }

    /** The options of {@code cloudrun shell}. */
    static final class Options {
        Path dir = Path.of(".");
        BackendKind backend = BackendKind.AUTO;
        String language = "python";
        boolean network;
        boolean writeBack;

        static Options parse(List<String> args) {
            Options options = new Options();
            boolean dirGiven = false;
            for (int i = 0; i < args.size(); i++) {
                String arg = args.get(i);
                switch (arg) {
                    case "--backend" -> options.backend = Arguments.backend(Arguments.value(args, ++i, arg));
                    case "--language", "--lang" -> options.language = Arguments.value(args, ++i, arg);
                    case "--network" -> options.network = true;
                    case "--write-back" -> options.writeBack = true;
                    default -> {
                        if (arg.startsWith("-")) {
                            throw new UsageException("unknown option " + arg + " for shell");
                        }
                        if (dirGiven) {
                            throw new UsageException("shell takes one DIR, not '" + options.dir + "' and '" + arg + "'");
                        }
                        options.dir = Path.of(arg);
                        dirGiven = true;
                    }
                }
            }
            return options;
        }
    }
}
