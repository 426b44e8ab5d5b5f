package dev.cloudrun.docker;

import dev.cloudrun.spi.StepSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Under gVisor, a step's program writes to pipes of gVisor's own kernel, which a relay inside the
 * sandbox copies to the container's stdout and stderr.
 *
 * <p>Why: gVisor (runsc 2022, Debian bookworm's) gives the program the container's stdout and
 * stderr as host pipes and answers a blocking {@code write(2)} larger than the host pipe's free
 * room (64 KiB) with a short count instead of blocking until everything is written, as Linux does.
 * A program that does not loop on short writes (one {@code write} of 48 MiB) then loses all but
 * its first 64 KiB, and the run ends OK under the output limit. gVisor's own pipes block as Linux
 * does, and {@code cat} loops on short writes.
 *
 * <p>The wrapper ({@code bash}, in every image) starts one {@code cat} per stream on the host
 * descriptors, runs the program with the pipes as stdout and stderr (and the container's stdin),
 * waits for it, then kills what it left running (daemons that still hold the pipes would keep the
 * relays, and the step, alive), waits until the relays have copied everything and exits with the
 * program's status (128 + signal when a signal ended it, as {@code docker-init} reports it).
 *
 * <p>A {@linkplain StepSpec#terminal() terminal} step gets one pipe for stdout and stderr instead
 * ({@code 2>&1}: one stream in the order of the writes, but {@code isatty()} false): on gVisor's
 * pseudo-terminal (runsc 2022) a Python syntax error run under {@code script} hung until the
 * wall-clock limit, and Ctrl+D in the input was not end-of-file.
 */
final class GvisorStdio {
    /** The wrapper; {@code $@} is the program's command. */
    static final String RELAY_SCRIPT = String.join("\n",
            "exec 3>&1 4>&2",
            "exec 1> >(exec cat >&3 3>&- 4>&-)",
            "out=$!",
            "exec 2> >(exec cat >&4 3>&- 4>&-)",
            "err=$!",
            "exec 3>&- 4>&-",
            "\"$@\" <&0 &",
            "program=$!",
            // The shell's own messages (such as 'Segmentation fault' from wait) are not the program's output.
            "exec 1>&- 2>/dev/null",
            "wait \"$program\"",
            "status=$?",
            "for round in 1 2 3 4 5 6 7 8 9 10; do",
            "  others=0",
            "  for entry in /proc/[0-9]*; do",
            "    pid=${entry#/proc/}",
            "    case $pid in 1|$$|$out|$err) ;; *) kill -9 \"$pid\" 2>/dev/null && others=1 ;; esac",
            "  done",
            "  [ \"$others\" = 0 ] && break",
            "done",
            "wait \"$out\" \"$err\"",
            "exit \"$status\"",
            "");

    private GvisorStdio() { }

    /**
     * @param step the step
     * @return its command behind the relay; a terminal step's on one pipe for stdout and stderr
     */
    static List<String> wrap(StepSpec step) {
        StepSpec piped = step.terminal() == StepSpec.Terminal.NONE ? step : new StepSpec(step.kind(), step.command(),
                step.env(), step.limits(), step.network(), step.cacheMounts(), step.privateEndpoints(), true);
        return wrap(piped.commandWithRedirections());
    }

    /**
     * @param command the program's command
     * @return the command that runs it behind the relay
     */
    static List<String> wrap(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("/bin/bash", "-c", RELAY_SCRIPT, "cloudrun-stdio"));
        wrapped.addAll(command);
        return wrapped;
    }
}
