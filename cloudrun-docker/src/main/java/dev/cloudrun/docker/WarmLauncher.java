package dev.cloudrun.docker;

import dev.cloudrun.spi.StepSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a pre-started container runs a command it did not know when it was created. Its command is
 * a small {@code bash} launcher that reads one frame from stdin and then replaces itself with
 * {@code env -i <environment> <command>} in {@code /work}: from then on the program is the child
 * of {@code docker-init} that a cold container's command would be, with the container's stdin,
 * stdout and stderr, and the container's exit code is the program's.
 *
 * <p>The frame is NUL-terminated fields: the number of arguments, the arguments, the number of
 * environment entries, the entries ({@code NAME=value}). {@code bash}'s {@code read} takes a pipe
 * one byte at a time, so it consumes the frame and nothing after it: what the run writes to stdin
 * next is the program's. The launcher writes nothing, so attaching to the running container before
 * sending the frame loses no output (the daemon subscribes the attach to stdout and stderr before it
 * copies anything to the container's stdin).
 */
final class WarmLauncher {
    /** The launcher; exits 125 (as Docker does for its own failures) when stdin ends before a whole frame. */
    static final String SCRIPT = String.join("\n",
            "IFS= read -r -d '' count || exit 125",
            "args=()",
            "while [ \"$count\" -gt 0 ]; do IFS= read -r -d '' item || exit 125; args+=(\"$item\"); count=$((count - 1)); done",
            "IFS= read -r -d '' count || exit 125",
            "envs=()",
            "while [ \"$count\" -gt 0 ]; do IFS= read -r -d '' item || exit 125; envs+=(\"$item\"); count=$((count - 1)); done",
            "exec /usr/bin/env -i \"${envs[@]}\" \"${args[@]}\"",
            "");

    private WarmLauncher() { }

    /** @return the pre-started container's command */
    static List<String> command() {
        return command(false);
    }

    /**
     * @param fifoStdio whether the container's stdout and stderr go to {@link FifoStdio}'s FIFOs
     * @return the pre-started container's command
     */
    static List<String> command(boolean fifoStdio) {
        return List.of("/bin/bash", "-c", fifoStdio ? FifoStdio.REDIRECT + " || exit 125\n" + SCRIPT : SCRIPT,
                "cloudrun-launch");
    }

    /**
     * Whether a step's command and environment reach the program unchanged through the frame and
     * {@code env}: no NUL anywhere, no environment name that {@code env} would take for an option,
     * and a program name that {@code env} would not take for an assignment or an option.
     *
     * @param step the step
     * @return true if it can be launched this way
     */
    static boolean canCarry(StepSpec step) {
        String program = step.command().get(0);
        if (program.isEmpty() || program.contains("=") || program.startsWith("-")) {
            return false;
        }
        for (String argument : step.command()) {
            if (argument.indexOf('\0') >= 0) {
                return false;
            }
        }
        for (var entry : step.env().entrySet()) {
            if (entry.getKey().isEmpty() || entry.getKey().startsWith("-") || entry.getKey().contains("=")
                    || entry.getKey().indexOf('\0') >= 0 || entry.getValue().indexOf('\0') >= 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * @param command the program and its arguments
     * @param environment {@code NAME=value} entries, all the program gets
     * @return the frame to write to the launcher's stdin
     */
    static byte[] frame(List<String> command, List<String> environment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        field(out, Integer.toString(command.size()));
        command.forEach(argument -> field(out, argument));
        field(out, Integer.toString(environment.size()));
        environment.forEach(entry -> field(out, entry));
        return out.toByteArray();
    }

    private static void field(ByteArrayOutputStream out, String value) {
        out.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        out.write(0);
    }
}
