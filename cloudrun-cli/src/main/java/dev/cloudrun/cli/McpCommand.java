package dev.cloudrun.cli;

import dev.cloudrun.BackendKind;
import dev.cloudrun.CodeRunner;
import dev.cloudrun.cli.CloudRunCli.UsageException;
import dev.cloudrun.mcp.CloudRunMcpStdio;
import dev.cloudrun.mcp.McpPolicy;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * {@code cloudrun mcp}: CloudRun's tools for AI agents as an MCP server on stdin and stdout (what
 * an agent client starts as a subprocess). stdout carries only JSON-RPC: everything else that
 * would print there goes to stderr.
 */
final class McpCommand {
    static final String USAGE = "cloudrun mcp [--backend auto|local|docker] [--network-allowed] [--max-sessions N]"
            + " [--session-idle-timeout SECONDS]";

    private final PrintStream err;
    private final InputStream in;

    McpCommand(PrintStream err, InputStream in) {
        this.err = err;
        this.in = in;
    }

    int run(List<String> args) throws IOException {
        BackendKind backend = BackendKind.AUTO;
        McpPolicy policy = McpPolicy.defaults();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--backend" -> backend = Arguments.backend(Arguments.value(args, ++i, arg));
                case "--network-allowed" -> policy = policy.withNetworkAllowed(true);
                case "--max-sessions" -> policy = policy.withMaxSessions(positive(Arguments.value(args, ++i, arg), arg),
                        Math.max(positive(args.get(i), arg), McpPolicy.DEFAULT_MAX_SESSIONS));
                case "--session-idle-timeout" -> policy = policy.withSessionIdleTimeout(
                        Duration.ofSeconds(positive(Arguments.value(args, ++i, arg), arg)));
                default -> throw new UsageException("mcp: unknown option '" + arg + "'");
            }
        }
        // The JSON-RPC stream is the process's real stdout; anything else printed to System.out goes to stderr.
        OutputStream jsonRpc = new FileOutputStream(FileDescriptor.out);
        System.setOut(err);
        BackendKind chosen = backend;
        try (CodeRunner runner = CodeRunner.create(config -> config.backend(chosen))) {
            // A client that ends the server with SIGTERM (as many do) still gets its sandboxes removed.
            Thread cleanup = new Thread(runner::close, "cloudrun-mcp-shutdown");
            Runtime.getRuntime().addShutdownHook(cleanup);
            err.println("cloudrun mcp: serving on stdio (backend " + runner.backendName() + ", network "
                    + (policy.networkAllowed() ? "allowed" : "off") + ")");
            CloudRunMcpStdio.serve(runner, policy, in, jsonRpc);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        return 0;
    }

    private static int positive(String value, String option) {
        try {
            int number = Integer.parseInt(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Falls through to the message below.
        }
        throw new UsageException(option + " must be a positive whole number, not '" + value + "'");
    }
}
