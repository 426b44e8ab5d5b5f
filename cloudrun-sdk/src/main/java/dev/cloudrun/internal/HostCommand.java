package dev.cloudrun.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the host's own tools ({@code mount}, {@code iptables}, a bubblewrap probe) with a
 * deadline. Its output is read on a thread of its own while the deadline runs, so a tool that hangs
 * (or forks a child that keeps the pipe open) is killed at the deadline instead of blocking the
 * caller for ever; at most {@link #MAX_OUTPUT_BYTES} of its output is kept.
 */
public final class HostCommand {
    /** How much of a tool's output is kept for its error message. */
    static final int MAX_OUTPUT_BYTES = 64 * 1024;

    /**
     * How a tool ended.
     *
     * @param exitCode its exit code
     * @param output its stdout and stderr together (the first 64 KiB)
     */
    public record Result(int exitCode, String output) { }

    private HostCommand() { }

    /**
     * Runs a tool to its end or its deadline.
     *
     * @param command the tool and its arguments (no shell)
     * @param timeout how long it may take
     * @return how it ended
     * @throws IOException if it cannot be started, or did not end in time (it is killed then)
     * @throws InterruptedException if the calling thread is interrupted (the tool is killed then)
     */
    public static Result run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> readBounded(process.getInputStream(), output),
                NamedThreadFactory.PREFIX + "host-command");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                kill(process);
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toSeconds() + " s");
            }
            // The tool is gone; a child of it could still hold the pipe, so the reader gets a moment only.
            reader.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        } finally {
            process.getInputStream().close();
        }
        synchronized (output) {
            return new Result(process.exitValue(), output.toString(StandardCharsets.UTF_8));
        }
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private static void readBounded(InputStream in, ByteArrayOutputStream output) {
        byte[] buffer = new byte[8192];
        try (in) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                synchronized (output) {
                    int keep = Math.min(read, MAX_OUTPUT_BYTES - output.size());
                    if (keep > 0) {
                        output.write(buffer, 0, keep);
                    }
                }
            }
        } catch (IOException e) {
            // The stream was closed at the deadline: what was read is what there is.
        }
    }
}
